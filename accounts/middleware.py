"""The login throttle's page (see accounts.backends.EmailLoginBackend)."""

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
