"""Single-line text: what every one-line field stores, and what every email subject is.

A title, a name or a place is shown on one line and goes into email subjects,
calendar lines and chat messages; a line break in one breaks them (a subject with
a newline makes every message about that session fail). So such fields refuse
control characters (the validator, on the way in) and the database refuses line
breaks (the constraint), and subjects go through ``one_line`` whatever they hold.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

# C0 and C1 controls (tab, CR, LF, NUL...), DEL, and Unicode's line and paragraph
# separators: none of them belongs in a value shown on one line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

SINGLE_LINE_MESSAGE = "Write this on one line: no line breaks, tabs or other control characters."


def validate_single_line(value: object) -> None:
    """Refuse a value holding a control character (see ``_CONTROL``)."""
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="control_characters")


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


def one_line(text: str) -> str:
    """``text`` on one line: each run of spaces, line breaks and control characters
    becomes one space, and the ends are trimmed."""
    return " ".join(_CONTROL.sub(" ", text).split())


def subject_line(text: str) -> str:
    """``text`` as an email subject: one line, line breaks and control characters made
    spaces. Every subject goes through this (notifications and members' emails)."""
    return one_line(text)


def single_line_constraint(field: str, name: str) -> models.CheckConstraint:
    """No CR or LF in ``field``, in the database.

    Line breaks are what breaks headers and lines, and both SQLite and PostgreSQL
    can say "contains" for them. The other control characters are left to the
    validator: a character range needs GLOB on SQLite and a regex on PostgreSQL,
    which no expression shares, and NUL cannot be written in SQL at all (PostgreSQL
    text cannot hold it anyway; on SQLite only the validator keeps it out).
    """
    return models.CheckConstraint(
        condition=~Q(**{f"{field}__contains": "\n"}) & ~Q(**{f"{field}__contains": "\r"}),
        name=name,
        violation_error_message=SINGLE_LINE_MESSAGE,
    )
