"""How people log in, and what the admin role grants.

Login is by email, through `EmailLoginBackend`: the address is normalised once
(accounts.identifiers), looked up exactly, and the attempt goes through the login
throttle (ipcop.lib.login) before the password is checked — from any login form, the
app's or the admin's.

The admin role is Django's staff flag (see `User.is_admin`): an admin may do anything
in Django admin, as in the app, without also being handed Django's per-model permissions.
Facilitators, preceptors and students are never staff, so they never enter the admin."""

from __future__ import annotations

import logging

from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.identifiers import normalise_email
from ipcop.lib import login as throttle
from ipcop.lib.http import client_ip

logger = logging.getLogger("ipcop.security")

# Set on the request when the throttle refused a login: LoginThrottleMiddleware turns
# the login page into the 429 page that says how long to wait.
REFUSAL_ATTR = "login_refusal"


class LoginThrottled(PermissionDenied):
    """Raised from `authenticate`: Django then stops trying other backends."""


class EmailLoginBackend(ModelBackend):
    """Django's ModelBackend (password check, is_active, permissions) behind the login
    throttle, on the normalised email."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("email")
        if username is None or password is None or request is None:
            # Without a request there is no client to throttle: only the login forms
            # authenticate people, and they always pass one.
            return None
        email = normalise_email(username)
        address = client_ip(request)
        refusal = throttle.attempt_begin(email, address)
        if refusal is not None:
            logger.warning(
                "Login refused for %s from %s: %s limit, wait %d s",
                email,
                address,
                refusal.reason,
                refusal.wait_seconds,
            )
            setattr(request, REFUSAL_ATTR, refusal)
            raise LoginThrottled
        user = super().authenticate(request, username=email, password=password, **kwargs)
        if user is not None:
            throttle.attempt_succeeded(email, address)
        return user


def axes_username(request: HttpRequest, credentials: dict | None) -> str:
    """The email as django-axes records it (attempts and logins in the admin): the
    normalised form, so one account's attempts are one record whatever the spelling."""
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username", "") if request.method == "POST" else ""
    return normalise_email(value)[:254]


class AdminRoleBackend(BaseBackend):
    """Grants every permission to active staff; authenticates nobody (EmailLoginBackend
    does). What the admin refuses to everyone (adding, changing or deleting audit events)
    stays refused: those ModelAdmins answer False without asking for permissions."""

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return bool(user_obj.is_active and user_obj.is_staff)

    def has_module_perms(self, user_obj, app_label) -> bool:
        return bool(user_obj.is_active and user_obj.is_staff)
