"""The secret in a member's private calendar feed URL.

Calendar apps cannot log in, so the token is the only credential: it is long,
random, looked up in the database (only active members match) and replaced, not
edited, to revoke it.
"""

from __future__ import annotations

import secrets

from django.http import Http404

from readinggroup.models import User


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 43 URL-safe characters, 256 random bits


def create_token(*, user: User) -> str:
    """The member's token, made now if they have none yet. A second call changes nothing."""
    User.objects.filter(pk=user.pk, calendar_token__isnull=True).update(calendar_token=new_token())
    user.calendar_token = User.objects.values_list("calendar_token", flat=True).get(pk=user.pk)
    return user.calendar_token


def revoke_token(*, user: User) -> str:
    """Replace the token: the old feed URL stops working at once."""
    token = new_token()
    User.objects.filter(pk=user.pk).update(calendar_token=token)
    user.calendar_token = token
    return token


def user_for_token(token: str) -> User:
    """The active member whose feed this is, or 404 (unknown, revoked or deactivated)."""
    user = User.objects.filter(calendar_token=token, is_active=True).first() if token else None
    if user is None:
        raise Http404("No such calendar.")
    return user
