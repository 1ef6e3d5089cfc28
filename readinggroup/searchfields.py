"""Form fields for values that arrive in a URL (?q=…, ?topic=…): only what a query can use.

Every free-text GET parameter is read through one of these, in a form, never from
request.GET directly. A NUL makes PostgreSQL refuse the query (a 500 before this);
other control characters and lone surrogates are never part of a real search.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator

# C0 controls (NUL, tab, line breaks…), DEL, C1 controls, and UTF-16 surrogates, which
# are not characters at all when alone.
_UNSEARCHABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_MESSAGE = (
    "Searches cannot contain control characters such as NUL, tabs or line breaks: "
    "type or paste plain text."
)


def reject_control_characters(value: str) -> None:
    if _UNSEARCHABLE.search(value):
        raise ValidationError(CONTROL_MESSAGE, code="control_characters")


class SearchField(forms.CharField):
    """Optional single-line text; a control character is an error with a clear message."""

    default_validators = [reject_control_characters]

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        # Ours covers NUL, with one message instead of two.
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


# The largest id a BigAutoField holds (SQLite's INTEGER and PostgreSQL's bigint alike):
# a bigger number in ?topic= would make the database driver fail, not find nothing.
MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    """Optional id of a row, from a URL."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


def problems(form: forms.Form) -> list[str]:
    """One sentence per search field of ``form`` that did not validate, saying that it
    was left out and why (without echoing the value). Ids and choices come from links
    and menus the page itself made: a mangled one is dropped without a word."""
    sentences = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        if isinstance(field, SearchField):
            sentences.append(f"{field.label or name.capitalize()} ignored: {' '.join(errors)}")
    return sentences
