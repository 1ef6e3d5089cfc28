"""Who may see or change sessions and slots. Every view goes through these."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from readinggroup.models import Session, Slot
from readinggroup.web import require_organizer

from .slides import can_change_slides

__all__ = [
    "require_organizer",
    "session_for_managing",
    "session_for_viewing",
    "slot_for_acting",
    "slot_for_managing",
    "slot_for_slides",
]


def session_for_viewing(request: HttpRequest, pk: int) -> Session:
    """Every member sees every session, cancelled ones included."""
    return get_object_or_404(Session.objects.select_related("theme_topic", "scribe"), pk=pk)


def session_for_managing(request: HttpRequest, pk: int) -> Session:
    require_organizer(request)
    return session_for_viewing(request, pk)


def slot_for_acting(request: HttpRequest, pk: int) -> Slot:
    """Members act on slots for themselves; the domain functions check whose slot it is."""
    return get_object_or_404(Slot.objects.select_related("session", "presenter"), pk=pk)


def slot_for_managing(request: HttpRequest, pk: int) -> Slot:
    require_organizer(request)
    return slot_for_acting(request, pk)


def slot_for_slides(request: HttpRequest, pk: int) -> Slot:
    """Slides belong to the slot's presenter; organizers may change anyone's."""
    slot = slot_for_acting(request, pk)
    if not can_change_slides(request.user, slot):
        raise PermissionDenied("Only the presenter or an organizer can change these slides.")
    return slot
