"""Who may see or change what in the catalogue. Every view goes through these."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from readinggroup.web import require_organizer

from .models import Paper, PendingImport

__all__ = ["paper_for_viewing", "pending_import_for", "require_organizer"]


def paper_for_viewing(request: HttpRequest, pk: int) -> Paper:
    """Every member sees every paper of the catalogue."""
    return get_object_or_404(Paper, pk=pk)


def pending_import_for(request: HttpRequest, pk: int) -> PendingImport:
    """An upload is visible only to the organizer who uploaded it."""
    require_organizer(request)
    return get_object_or_404(PendingImport, pk=pk, uploaded_by=request.user)
