"""System checks for a production deployment (run by ``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def site_url_is_set(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Emails need the public address for their links; without it every email fails."""
    if settings.READINGGROUP_SITE_URL:
        return []
    return [
        Error(
            "READINGGROUP_SITE_URL is not set, so every reminder and digest email would fail.",
            hint="Set it to the public address of the site, e.g. https://reading.example.org",
            id="readinggroup.E001",
        )
    ]


@register(Tags.security, deploy=True)
def proxy_count_is_set_behind_a_proxy(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Behind a proxy every connection comes from the proxy: lockouts and email throttles
    would count all clients as one (one person's typos would lock everyone out)."""
    if not settings.SECURE_PROXY_SSL_HEADER or settings.READINGGROUP_PROXY_COUNT:
        return []
    return [
        Warning(
            "BEHIND_HTTPS_PROXY is on but READINGGROUP_PROXY_COUNT is 0: login lockouts and "
            "email throttles would count every client as the proxy's address.",
            hint="Set READINGGROUP_PROXY_COUNT to the number of proxies in front of the app "
            "(usually 1); each must append the client's address to X-Forwarded-For.",
            id="readinggroup.W002",
        )
    ]
