"""Who is asking: the client address that login lockouts and email throttles count by."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The address of the client, as the outermost of our reverse proxies saw it.

    With READINGGROUP_PROXY_COUNT=N the proxies append what they saw to
    X-Forwarded-For, so the Nth entry from the right is the client; entries further
    left are whatever the client sent and are never trusted. Anything that is not an
    IP address (a short or forged header) falls back to the connection's address.
    """
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    hops = settings.READINGGROUP_PROXY_COUNT
    if not hops:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < hops:
        return remote
    return _address(forwarded[-hops]) or remote


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None
