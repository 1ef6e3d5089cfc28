"""Absolute links for messages read outside the site (emails, chat)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse


def site_url() -> str:
    url = settings.READINGGROUP_SITE_URL
    if not url:
        raise ImproperlyConfigured(
            "READINGGROUP_SITE_URL is not set: emails need the site's public address "
            "(for example https://reading.example.org)."
        )
    return url


def absolute(path: str) -> str:
    """``/sessions/3/`` → ``https://reading.example.org/sessions/3/``."""
    return site_url() + path


def absolute_url(viewname: str, *args: object) -> str:
    return absolute(reverse(viewname, args=args))
