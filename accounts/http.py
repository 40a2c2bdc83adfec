from django.http import HttpRequest

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose user is signed in: LoginRequiredMiddleware guards every view not marked public."""

    user: User
