"""Helpers for reading pages in tests."""

from __future__ import annotations

import re

_CSRF = re.compile(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")\w+')


def without_csrf(html: str) -> str:
    """The page without its CSRF tokens, which are masked afresh for every response."""
    return _CSRF.sub(r"\1…", html)


_NOTE_LINK = re.compile(r'href="/notes/(\d+)/" title="Show in its thread"')


def shown_notes(html: str) -> list[str]:
    """The bodies of the notes a notes page lists, in the order it lists them."""
    from readinggroup.models import Note

    pks = [int(pk) for pk in _NOTE_LINK.findall(html)]
    bodies = dict(Note.objects.filter(pk__in=pks).values_list("pk", "body"))
    return [bodies[pk] for pk in pks]
