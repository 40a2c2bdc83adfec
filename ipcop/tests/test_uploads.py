"""Private uploads (ipcop.lib.uploads): judged by their content, stored under a generated
name outside anything a URL serves, served only as a download."""

import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from ipcop.lib import uploads
from placements.models import AffiliationAgreement

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def Document(file=None):
    """A row of a model with a private FileField, as the apps declare one (the affiliation
    agreement's document), its upload in `file`."""
    return AffiliationAgreement(document=file)


@pytest.mark.parametrize(
    ("content", "kind"), [(PDF, uploads.PDF), (PNG, uploads.PNG), (JPEG, uploads.JPEG)]
)
def test_each_allowed_kind_is_known_by_its_first_bytes(content, kind):
    assert uploads.check_upload(SimpleUploadedFile("x", content)) is kind


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        # An HTML page calling itself a PDF, by its name and by its content type.
        ("agreement.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
        # A Windows program, an SVG (scripts), a ZIP (an Office file), a GIF.
        ("scan.png", b"MZ\x90\x00\x03\x00\x00\x00", "image/png"),
        ("scan.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "image/jpeg"),
        ("agreement.docx", b"PK\x03\x04" + b"\x00" * 30, "application/pdf"),
        ("image.gif", b"GIF89a" + b"\x00" * 30, "image/gif"),
        # A PDF signature not at the start (a polyglot that starts as something else).
        ("agreement.pdf", b"<html>" + PDF, "application/pdf"),
    ],
)
def test_a_file_of_another_kind_is_refused_whatever_its_name_and_content_type(
    name, content, content_type
):
    with pytest.raises(ValidationError) as refused:
        uploads.check_upload(SimpleUploadedFile(name, content, content_type=content_type))
    assert refused.value.code == "wrong_type"
    assert "judged by its content" in refused.value.messages[0]


def test_a_file_over_the_limit_is_refused_before_it_is_read(settings):
    settings.PRIVATE_UPLOAD_MAX_BYTES = 1024 * 1024
    too_big = SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024))
    with pytest.raises(ValidationError) as refused:
        uploads.check_upload(too_big)
    assert refused.value.code == "too_large"
    assert "files may be at most 1 MB" in refused.value.messages[0]


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as refused:
        uploads.check_upload(SimpleUploadedFile("empty.pdf", b""))
    assert refused.value.code == "empty"


def test_the_file_is_read_again_from_its_start_after_the_check():
    upload = SimpleUploadedFile("a.pdf", PDF)
    uploads.check_upload(upload)
    assert upload.read() == PDF


@pytest.mark.parametrize(
    "hostile_name",
    [
        "../../../../etc/passwd.pdf",
        "..\\..\\windows\\system32\\agreement.pdf",
        "/etc/cron.d/agreement.pdf",
        "agreement.pdf\x00.html",
        "contrat signé <script>.pdf",
        "agreement.html",
        "." * 300 + ".pdf",
    ],
)
def test_the_stored_name_is_generated_never_the_one_sent(private_root, hostile_name):
    document = Document(file=SimpleUploadedFile(hostile_name, PDF))
    uploads.validate_private_upload(document.document)
    field_file = document.document
    field_file.save(hostile_name, field_file.file, save=False)
    folder, name = field_file.name.split("/")
    assert folder == "agreements"
    stem, extension = name.split(".")
    assert extension == "pdf"  # from the content
    assert len(stem) == 32 and all(c in "0123456789abcdef" for c in stem)
    stored = private_root / "agreements" / name
    assert stored.read_bytes() == PDF
    # Nothing was written anywhere else under the root.
    assert [p.name for p in private_root.rglob("*") if p.is_file()] == [name]


def test_the_extension_follows_the_content_not_the_name(private_root):
    document = Document(file=SimpleUploadedFile("photo.pdf", PNG))
    document.document.save("photo.pdf", document.document.file, save=False)
    assert document.document.name.endswith(".png")


def test_the_model_validator_refuses_a_new_upload_of_the_wrong_kind():
    document = Document(file=SimpleUploadedFile("agreement.pdf", b"<html></html>"))
    with pytest.raises(ValidationError) as refused:
        document.full_clean(exclude=["institution", "starts_on"], validate_constraints=False)
    assert "document" in refused.value.message_dict


def test_private_files_have_no_url(private_root):
    name = uploads.private_storage.save("evidence/x.pdf", SimpleUploadedFile("x", PDF))
    with pytest.raises(ValueError, match="no URL"):
        uploads.private_storage.url(name)


def test_the_private_folder_follows_the_settings(private_root):
    assert uploads.private_storage.location == os.path.abspath(private_root)


def test_a_private_file_is_served_as_a_download_the_browser_may_not_sniff(private_root):
    document = Document(file=SimpleUploadedFile("x.pdf", PDF))
    document.document.save("x.pdf", document.document.file, save=False)
    response = uploads.private_file_response(document.document, download_name="agreement-7")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="agreement-7.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF


def test_serving_a_missing_file_answers_404(private_root):
    from django.http import Http404

    document = Document(file="agreements/gone.pdf")
    with pytest.raises(Http404):
        uploads.private_file_response(document.document, download_name="gone")
    with pytest.raises(Http404):
        uploads.private_file_response(Document().document, download_name="none")


def test_the_folder_of_upload_to_cannot_climb_out():
    with pytest.raises(ValueError):
        uploads.PrivateUploadTo("../elsewhere", "file")
    with pytest.raises(ValueError):
        uploads.PrivateUploadTo("/etc", "file")


def test_settings_refuse_a_private_root_under_the_static_files(tmp_path):
    from ipcop.tests.test_settings import GOOD_KEY, import_settings

    static_root = tmp_path / "static"
    result = import_settings(
        DEBUG="false",
        ALLOWED_HOSTS="ipcop.example",
        SECRET_KEY=GOOD_KEY,
        STATIC_ROOT=str(static_root),
        PRIVATE_MEDIA_ROOT=str(static_root / "private"),
    )
    assert result.returncode != 0
    assert "PRIVATE_MEDIA_ROOT must not lie under" in result.stderr
