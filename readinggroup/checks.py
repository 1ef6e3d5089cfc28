"""System checks for a production deployment (run by ``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


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
