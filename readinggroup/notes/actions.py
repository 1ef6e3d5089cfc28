"""What can be done to notes. Views call these; they never save notes themselves."""

from __future__ import annotations

import re
import unicodedata

from django.db import transaction
from django.utils import timezone

from papers.models import Paper
from readinggroup.models import Note, Session, User

from .rendering import render_markdown

MAX_BODY_CHARS = 20_000
# C0 controls other than tab and newline: never meant, and \x02/\x03 mark search hits.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class NoteError(ValueError):
    """A note cannot be written as asked; the message says why, for the member."""


def clean_body(body: str) -> str:
    """The body as stored: one newline style, NFC, no control characters, trimmed."""
    text = unicodedata.normalize("NFC", body.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL_CHARS.sub("", text).strip()
    if not text:
        raise NoteError("A note cannot be empty.")
    if len(text) > MAX_BODY_CHARS:
        raise NoteError(
            f"A note can be at most {MAX_BODY_CHARS:,} characters long; this one has {len(text):,}."
        )
    return text


def post_note(
    *,
    author: User,
    body: str,
    session: Session | None = None,
    paper: Paper | None = None,
    parent: Note | None = None,
) -> Note:
    """A new note on a session or a paper, or a reply to a note.

    A reply belongs to its parent's session or paper; a reply to a reply joins the
    top-level note's thread, so threads stay one level deep.
    """
    text = clean_body(body)
    if parent is not None:
        if parent.parent_id is not None:
            parent = parent.parent
        if (session is not None and session.pk != parent.session_id) or (
            paper is not None and paper.pk != parent.paper_id
        ):
            raise NoteError("A reply belongs to the thread of the note it answers.")
        session, paper = parent.session, parent.paper
    elif (session is None) == (paper is None):
        raise NoteError("A note belongs to exactly one session or one paper.")
    return Note.objects.create(
        author=author,
        body=text,
        body_html=render_markdown(text),
        session=session,
        paper=paper,
        parent=parent,
    )


def edit_note(*, note: Note, body: str) -> Note:
    text = clean_body(body)
    note.body = text
    note.body_html = render_markdown(text)
    note.edited_at = timezone.now()
    note.save(update_fields=["body", "body_html", "edited_at"])
    return note


def delete_note(*, note: Note) -> None:
    """Deletes the note and, for a top-level note, its replies."""
    note.delete()


def set_hidden(*, note: Note, hidden: bool) -> Note:
    """Hidden notes (and their replies) are seen only by organizers and their author."""
    note.hidden = hidden
    note.save(update_fields=["hidden"])
    return note


def pin_note(*, note: Note) -> Note:
    """Pin a session's top-level note, unpinning the one pinned before."""
    if note.session_id is None:
        raise NoteError("Only notes on a session can be pinned.")
    if note.parent_id is not None:
        raise NoteError("Replies cannot be pinned; pin the note they answer.")
    with transaction.atomic():
        # Locking the session serialises pinning within it, so two organizers pinning
        # at once take turns instead of one of them hitting the unique constraint.
        Session.objects.select_for_update().get(pk=note.session_id)
        Note.objects.filter(session_id=note.session_id, pinned=True).exclude(pk=note.pk).update(
            pinned=False
        )
        Note.objects.filter(pk=note.pk).update(pinned=True)
    note.pinned = True
    return note


def unpin_note(*, note: Note) -> Note:
    Note.objects.filter(pk=note.pk).update(pinned=False)
    note.pinned = False
    return note
