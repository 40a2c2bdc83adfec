"""Project middleware."""

from django.core.exceptions import PermissionDenied
from django.utils.cache import add_never_cache_headers, patch_cache_control

from ipcop.audit import audit_denied_fetched


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


class AuditDeniedMiddleware:
    """A 403 on a visible confidential record is a failed access decision: log it as
    "denied" for the audited objects the view fetched (`ipcop.audit.get_visible_or_404`)
    before it raised `PermissionDenied`, wherever in the view that happened."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            audit_denied_fetched(request)
        return None
