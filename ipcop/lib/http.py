"""What a request says about where it comes from."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client, as far as it can be trusted.

    With `TRUSTED_PROXY_COUNT` = N > 0 proxies in front of the app, each appends the
    address it received the request from to X-Forwarded-For, so the N-th entry from the
    right was written by our outermost proxy: it is the client. Entries further left were
    written by the client itself and are never trusted. With no proxy configured, or a
    header too short to have passed through all N (a request that bypassed them), it is
    REMOTE_ADDR."""
    remote = _address(request.META.get("REMOTE_ADDR", "")) if request is not None else None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0 or request is None:
        return remote
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if len(forwarded) < count:
        return remote
    return _address(forwarded[-count]) or remote
