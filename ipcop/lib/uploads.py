"""Private uploads: documents people attach to records (an affiliation agreement, a
student's readiness evidence) that only the people allowed to see the record may read.

- They are stored under settings.PRIVATE_MEDIA_ROOT, which no URL serves: the storage has
  no base URL, so a file can only leave through a view that checked the person's access
  first and then calls `private_file_response`.
- A file is judged by what it holds, never by the name or the content type the browser
  sent: its first bytes must be those of one of the allowed kinds (`KINDS`), and it may not
  be larger than settings.PRIVATE_UPLOAD_MAX_BYTES.
- Its stored name is generated (`PrivateUploadTo`): a folder of the caller's choosing and
  a random name with the extension of the kind found, so nothing the person typed reaches
  the file system.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404
from django.utils.deconstruct import deconstructible


@dataclasses.dataclass(frozen=True)
class FileKind:
    """A kind of file accepted, known by the bytes it starts with."""

    name: str
    extension: str
    content_type: str
    signatures: tuple[bytes, ...]


PDF = FileKind("PDF", "pdf", "application/pdf", (b"%PDF-",))
PNG = FileKind("PNG image", "png", "image/png", (b"\x89PNG\r\n\x1a\n",))
JPEG = FileKind("JPEG image", "jpg", "image/jpeg", (b"\xff\xd8\xff",))
KINDS = (PDF, PNG, JPEG)
_BY_EXTENSION = {kind.extension: kind for kind in KINDS}

# Enough to hold the longest signature above.
_SNIFF_BYTES = 16


def kind_of(head: bytes, allowed: Iterable[FileKind] = KINDS) -> FileKind | None:
    """The allowed kind whose signature `head` (a file's first bytes) starts with."""
    for kind in allowed:
        if any(head.startswith(signature) for signature in kind.signatures):
            return kind
    return None


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    return f"{size / 1024:.0f} KB"


def check_upload(file: Any, *, allowed: Iterable[FileKind] = KINDS) -> FileKind:
    """The kind of an uploaded file, or a ValidationError saying why it is refused: empty,
    too large, or not one of `allowed` by its content. The file is read back from its
    start afterwards."""
    allowed = tuple(allowed)
    names = ", ".join(kind.name for kind in allowed[:-1]) + f" or {allowed[-1].name}"
    limit = settings.PRIVATE_UPLOAD_MAX_BYTES
    size = getattr(file, "size", None)
    if size is None:
        raise ValidationError("No file was received.", code="missing")
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if size > limit:
        raise ValidationError(
            f"The file is {_human_size(size)}; files may be at most {_human_size(limit)}.",
            code="too_large",
        )
    file.seek(0)
    head = file.read(_SNIFF_BYTES)
    file.seek(0)
    kind = kind_of(head, allowed)
    if kind is None:
        raise ValidationError(
            f"This file is not a {names} (judged by its content, not its name).",
            code="wrong_type",
        )
    return kind


def validate_private_upload(value: Any) -> None:
    """A model field validator: a new upload must pass `check_upload`. A file already
    stored was checked when it came in, and is not read again on each save."""
    if getattr(value, "_committed", True):
        return
    check_upload(value.file)


class PrivateStorage(FileSystemStorage):
    """Files under settings.PRIVATE_MEDIA_ROOT, with no URL: `url()` refuses. The folder is
    read from the settings at each use (a test's override holds)."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL; a view serves them after an access check.")


private_storage = PrivateStorage()


def get_private_storage() -> PrivateStorage:
    """The storage of a model's FileField (a callable: migrations do not record a path)."""
    return private_storage


@deconstructible
class PrivateUploadTo:
    """A FileField's `upload_to`: `<folder>/<random>.<extension of its content>`, never
    any part of the name the person's browser sent. `field` names the FileField, whose
    file is read to find its kind (Django passes `upload_to` the name only)."""

    def __init__(self, folder: str, field: str):
        if not folder or folder.startswith("/") or ".." in folder:
            raise ValueError("The folder is a relative path without '..'.")
        self.folder = folder.strip("/")
        self.field = field

    def __call__(self, instance: Any, filename: str) -> str:
        kind = check_upload(getattr(instance, self.field).file)
        return f"{self.folder}/{secrets.token_hex(16)}.{kind.extension}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PrivateUploadTo) and (other.folder, other.field) == (
            self.folder,
            self.field,
        )


def private_file_response(
    field_file: Any, *, download_name: str, opener: Callable[[], Any] | None = None
) -> FileResponse:
    """Serve a private file as a download. Call it only after the access check: fetch the
    record through ipcop.permissions, then hand its file here. The content type comes
    from the stored name (which `PrivateUploadTo` chose from the content), the browser
    is told not to guess another one nor to show it in the page, and nothing caches it."""
    if not field_file:
        raise Http404("No document.")
    name = field_file.name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = _BY_EXTENSION.get(extension)
    try:
        handle = opener() if opener is not None else field_file.storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("The document is missing from storage.") from None
    if kind is not None and not download_name.lower().endswith(f".{kind.extension}"):
        download_name = f"{download_name}.{kind.extension}"
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name,
        content_type=kind.content_type if kind is not None else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Opened by itself anyway, it runs nothing and reaches nothing.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
