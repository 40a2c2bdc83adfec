"""Login throttling helpers for django-axes (settings AXES_*)."""

from __future__ import annotations

import logging

from django.http import HttpRequest

from ipcop.audit import client_ip

logger = logging.getLogger("ipcop.security")


def axes_username(request: HttpRequest, credentials: dict | None) -> str:
    """The email being tried, as stored (lower-case, trimmed): "Ann@X" and "ann@x " count
    towards one lockout, as they would log into one account."""
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username", "") if request.method == "POST" else ""
    return str(value).strip().lower()[:254]


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """The page a locked-out login gets (HTTP 429), naming the pause in minutes."""
    from django.conf import settings
    from django.shortcuts import render

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    logger.warning(
        "Login locked out for %s from %s", axes_username(request, credentials), client_ip(request)
    )
    return render(
        request,
        "registration/locked_out.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes},
        status=429,
    )
