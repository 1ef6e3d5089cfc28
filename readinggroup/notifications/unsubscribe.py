"""Unsubscribe links that work without logging in: a signed (user, preference) token.

The token never expires (an old email's link must keep working) and only ever turns
a preference off, so a leaked link can do no more than its owner's click would.
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from readinggroup.links import absolute
from readinggroup.models import User

from .preferences import LABELS

SALT = "readinggroup.notifications.unsubscribe"


def make_token(user: User, preference: str) -> str:
    return signing.dumps({"u": user.pk, "p": preference}, salt=SALT)


def read_token(token: str) -> tuple[User, str] | None:
    """The user and preference a token names, or None if it is forged, garbled or stale."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("p") not in LABELS:
        return None
    user = User.objects.filter(pk=data.get("u")).first()
    return (user, data["p"]) if user is not None else None


def unsubscribe_url(user: User, preference: str) -> str:
    return absolute(reverse("notifications:unsubscribe", args=[make_token(user, preference)]))
