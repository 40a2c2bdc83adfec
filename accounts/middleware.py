"""The accounts app's middleware: the login throttle's page and the audit of refusals."""

from django.core.exceptions import PermissionDenied

from accounts.audit import audit_denied_fetched
from accounts.backends import REFUSAL_ATTR
from ipcop.lib.login import refusal_response


class LoginThrottleMiddleware:
    """A login the throttle refused answers 429 with how long to wait, instead of the
    login form's "wrong email or password" (the password was not even checked)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        refusal = getattr(request, REFUSAL_ATTR, None)
        if refusal is not None:
            return refusal_response(request, refusal)
        return response


class AuditDeniedMiddleware:
    """A 403 on a visible confidential record is a failed access decision: log it as
    "denied" for the audited objects the view fetched (`accounts.audit.get_visible_or_404`)
    before it raised `PermissionDenied`, wherever in the view that happened."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            audit_denied_fetched(request)
        return None
