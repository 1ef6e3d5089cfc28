"""Links we store and show: web pages (http and https) only.

A stored link is shown as ``<a href>`` to every member, so a ``javascript:`` (or
``data:``, ``vbscript:``...) one would run script in the app's origin on a click.
Each link is checked twice: on the way in (forms and imports accept only
``http://`` and ``https://``), and on the way out (the ``safe_url`` template
filter, and ``safe_url()`` in Python, show nothing for anything else, so a value
stored before the check or around it is never a live link).
"""

from __future__ import annotations

import re

from django import forms
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q

from .validators import validate_single_line

WEB_SCHEMES = ("http", "https")
WEB_URL_MESSAGE = "Enter a web link starting with https:// or http://."

# What a browser opens as a web page whatever it strips or decodes first: the value
# starts with the scheme itself (no leading space, tab or entity can hide another
# scheme in front of it) and holds no whitespace or control character anywhere.
_SHOWN = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)

# On the way in: Django's URL check (a host, no whitespace), web schemes only.
web_url_validator = URLValidator(schemes=list(WEB_SCHEMES), message=WEB_URL_MESSAGE)


def safe_url(value: object) -> str:
    """``value`` if it is an http(s) link, else "" (the template filter of the same name)."""
    text = "" if value is None else str(value)
    return text if _SHOWN.fullmatch(text) else ""


def clean_web_url(value: str) -> str | None:
    """An imported link as stored: trimmed, its scheme in lower case; None when it is not
    an http(s) link (exactly what ``safe_url`` shows; cheap enough for 10,000 entries)."""
    text = value.strip()
    scheme, sep, rest = text.partition("://")
    text = f"{scheme.lower()}{sep}{rest}"
    return text if _SHOWN.fullmatch(text) else None


def web_url_constraint(field: str, name: str) -> models.CheckConstraint:
    """The database's half: a stored link is empty or starts with http:// or https://.

    (On SQLite the comparison ignores case; links are stored with a lower-case scheme.)
    """
    return models.CheckConstraint(
        condition=Q(**{field: ""})
        | Q(**{f"{field}__startswith": "http://"})
        | Q(**{f"{field}__startswith": "https://"}),
        name=name,
        violation_error_message=WEB_URL_MESSAGE,
    )


class WebURLField(forms.URLField):
    """A form's link people can open in a browser: http or https only.

    (Django's own URLField also takes ftp:// and ftps://.)
    """

    default_validators = [web_url_validator, validate_single_line]
    default_error_messages = {"invalid": WEB_URL_MESSAGE}

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("assume_scheme", "https")
        kwargs.setdefault("max_length", 500)
        super().__init__(**kwargs)
