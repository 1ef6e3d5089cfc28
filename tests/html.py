"""Helpers for comparing pages in tests."""

from __future__ import annotations

import re

_CSRF = re.compile(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")\w+')


def without_csrf(html: str) -> str:
    """The page without its CSRF tokens, which are masked afresh for every response."""
    return _CSRF.sub(r"\1…", html)
