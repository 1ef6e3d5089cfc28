"""Who may see or change members, invites and unavailable dates. Every members view uses these.

Every member sees the active members and their history (fairness is meant to be
visible); removed members are seen by organizers only. Roles, removals and invites
are for organizers; unavailable dates belong to their member alone.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from readinggroup.models import Invite, Unavailability, User
from readinggroup.web import require_organizer

__all__ = [
    "invite_for_managing",
    "member_for_managing",
    "member_for_viewing",
    "require_organizer",
    "unavailability_for_owner",
]


def member_for_viewing(request: HttpRequest, pk: int) -> User:
    members = User.objects.all()
    if not request.user.is_organizer:
        members = members.filter(is_active=True)
    return get_object_or_404(members, pk=pk)


def member_for_managing(request: HttpRequest, pk: int) -> User:
    """Organizers change the role of, or remove, active members."""
    require_organizer(request)
    return get_object_or_404(User, pk=pk, is_active=True)


def invite_for_managing(request: HttpRequest, pk: int) -> Invite:
    require_organizer(request)
    return get_object_or_404(Invite, pk=pk)


def unavailability_for_owner(request: HttpRequest, pk: int) -> Unavailability:
    """Someone else's date does not exist for you: 404, never 403."""
    return get_object_or_404(Unavailability, pk=pk, user=request.user)
