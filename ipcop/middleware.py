"""Project middleware."""

from django.conf import settings
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers, patch_cache_control


class NoStoreForPersonalDataMiddleware:
    """Pages seen by a logged-in person carry personal data: no browser or proxy may keep
    them (`Cache-Control: no-store`). Static files and anonymous pages are unaffected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than MAX_REQUEST_BYTES (413) from its Content-Length,
    before anything reads it: a 50 MB "CSV" is never parsed or spooled to disk. Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files, so this is the cap for them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES and length > (limit := self._limit_of(request)):
            limit //= 1_000_000
            return HttpResponse(
                f"The upload is too large: at most {limit} MB.",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _limit_of(request) -> int:
        """The limit of the view the request is for: a few take larger files
        (MAX_REQUEST_BYTES_BY_VIEW); resolved only for a body over the common limit."""
        try:
            view_name = resolve(request.path_info).view_name
        except Resolver404:
            return settings.MAX_REQUEST_BYTES
        return settings.MAX_REQUEST_BYTES_BY_VIEW.get(view_name, settings.MAX_REQUEST_BYTES)
