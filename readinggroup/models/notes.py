from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, Q


class NoteQuerySet(models.QuerySet):
    def visible_to(self, user: models.Model) -> NoteQuerySet:
        """The notes ``user`` may read: a hidden note only by organizers and its author,
        and hiding a note hides its replies too (see ``notes.access``)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_organizer:
            return self
        return self.filter(Q(hidden=False) | Q(author=user)).filter(
            Q(parent__isnull=True) | Q(parent__hidden=False) | Q(parent__author=user)
        )

    def thread(self, user: models.Model, target: models.Model) -> NoteQuerySet:
        """The top-level notes on a paper or session that ``user`` may read, pinned first,
        each with its visible replies: two queries whatever their number."""
        replies = self.visible_to(user).select_related("author").order_by("created_at", "pk")
        kind = "session" if target._meta.model_name == "session" else "paper"
        return (
            self.visible_to(user)
            .filter(parent__isnull=True, **{kind: target})
            .select_related("author")
            .prefetch_related(Prefetch("replies", queryset=replies))
            .order_by("-pinned", "created_at", "pk")
        )


class Note(models.Model):
    """A Markdown note in the thread of a session or a paper; replies have a parent."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes"
    )
    session = models.ForeignKey(
        "readinggroup.Session",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notes",
    )
    paper = models.ForeignKey(
        "papers.Paper", null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField()
    body_html = models.TextField(editable=False)  # rendered and sanitised once, on save
    hidden = models.BooleanField(default=False)
    pinned = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # Newest first is (created_at, id) everywhere (ties are broken by id): the
            # dashboard's recent notes and the notes page's cursor read this index in
            # order, with no sort of a group of notes sharing a time.
            models.Index(fields=["created_at", "id"], name="note_created_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(session__isnull=False, paper__isnull=True)
                    | Q(session__isnull=True, paper__isnull=False)
                ),
                name="note_on_session_or_paper",
            ),
            models.UniqueConstraint(
                fields=["session"], condition=Q(pinned=True), name="note_one_pinned_per_session"
            ),
            models.CheckConstraint(condition=~Q(body=""), name="note_body_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Note by {self.author} on {self.session or self.paper}"
