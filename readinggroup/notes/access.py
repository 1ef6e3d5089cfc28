"""Who may see or change which note. Every notes view goes through these.

A hidden note is seen only by organizers and its author; hiding a note hides its
replies too. To everyone else it does not exist: 404, never 403, so nothing leaks.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from readinggroup.models import Note


def note_for_viewing(request: HttpRequest, pk: int) -> Note:
    note = (
        Note.objects.visible_to(request.user)
        .select_related("paper", "session")
        .filter(pk=pk)
        .first()
    )
    if note is None:
        raise Http404("No such note.")
    return note


def note_for_editing(request: HttpRequest, pk: int) -> Note:
    """Only the author edits or deletes a note (organizers hide it instead)."""
    note = note_for_viewing(request, pk)
    if note.author_id != request.user.pk:
        raise PermissionDenied("Only the author can change this note.")
    return note


def note_for_moderating(request: HttpRequest, pk: int) -> Note:
    """Hiding and pinning are for organizers."""
    if not request.user.is_authenticated or not request.user.is_organizer:
        raise PermissionDenied("Only organizers can do this.")
    return note_for_viewing(request, pk)
