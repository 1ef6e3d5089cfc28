"""A slot's slides: a link, an uploaded PDF, or both.

Uploaded PDFs are stored under MEDIA_ROOT in a directory named by a random token,
so their paths cannot be guessed, and they are only ever served through the
members-only ``slot_slides`` view (MEDIA_URL is not routed). A replaced or removed
file is deleted once the database change has committed.
"""

from __future__ import annotations

import posixpath
import secrets

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename

from readinggroup.models import Slot, User

from .scheduling import delete_file_after_commit, touch_sessions

NOTHING_GIVEN = "Give a link to your slides or choose a PDF to upload."

PDF_MAGIC = b"%PDF-"
# Slot.slides_file is a FileField(max_length=100): "slides/2026/" + token + "/" + name.
_NAME_MAX = 55


class SlidesError(Exception):
    """Slides that cannot be attached; the message says why, for the user."""


def can_change_slides(user: User, slot: Slot) -> bool:
    return user.is_authenticated and (user.is_organizer or slot.presenter_id == user.pk)


def check_pdf(upload: UploadedFile) -> None:
    """Refuse a file that is too big or is not a PDF, before anything is stored."""
    limit = settings.READINGGROUP_MAX_SLIDES_BYTES
    if upload.size > limit:
        raise SlidesError(
            f"“{upload.name}” is {filesizeformat(upload.size)}; slides can be at most "
            f"{filesizeformat(limit)}."
        )
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head != PDF_MAGIC:
        raise SlidesError(f"“{upload.name}” is not a PDF file. Export your slides as PDF.")


def stored_name(original: str) -> str:
    """``<random token>/<cleaned original name>.pdf``: unguessable, still readable."""
    stem = posixpath.splitext(posixpath.basename(original.replace("\\", "/")))[0]
    try:
        stem = get_valid_filename(stem)[:_NAME_MAX]
    except SuspiciousFileOperation:  # a name of dots only, say
        stem = ""
    return f"{secrets.token_urlsafe(16)}/{stem or 'slides'}.pdf"


def download_name(slot: Slot) -> str:
    """The file name a member's browser sees: the uploaded name, without the token."""
    return slot.slides_name or "slides.pdf"


def set_slides(
    *,
    slot: Slot,
    user: User,
    url: str = "",
    upload: UploadedFile | None = None,
    remove_file: bool = False,
) -> Slot:
    """Set the slot's link to ``url`` and its PDF to ``upload``; at least one must remain.

    Without a new upload the current PDF stays, unless ``remove_file`` asks to drop it:
    saving just a link must never lose the presenter's file.
    """
    if upload is not None:
        check_pdf(upload)
    field = Slot._meta.get_field("slides_file")
    stored = ""  # the new upload, deleted again if the change does not happen
    if upload is not None:
        name = field.generate_filename(slot, stored_name(upload.name))
        stored = field.storage.save(name, upload, max_length=field.max_length)
    try:
        with transaction.atomic():
            current = Slot.objects.select_for_update().get(pk=slot.pk)
            _check_may_change(user, current)
            old_name = current.slides_file.name or ""
            new_name = old_name if upload is None and not remove_file else stored
            if not url and not new_name:
                raise SlidesError(NOTHING_GIVEN)
            current.slides_url = url
            current.slides_file.name = new_name
            current.save(update_fields=["slides_url", "slides_file"])
            touch_sessions(current.session_id)
            if old_name != new_name:
                delete_file_after_commit(old_name)
    except Exception:
        if stored:
            field.storage.delete(stored)
        raise
    return current


def _check_may_change(user: User, current: Slot) -> None:
    """On the locked row: the presenter may have left (or changed) since the page loaded."""
    if not can_change_slides(user, current):
        raise SlidesError("Only the presenter or an organizer can change these slides.")
    if current.presenter_id is None:
        raise SlidesError("Nobody presents in this slot, so it cannot have slides.")


def remove_slides(*, slot: Slot, user: User) -> Slot:
    with transaction.atomic():
        current = Slot.objects.select_for_update().get(pk=slot.pk)
        if not current.slides_url and not current.slides_file:
            raise SlidesError("This slot has no slides to remove.")
        if not can_change_slides(user, current):
            raise SlidesError("Only the presenter or an organizer can change these slides.")
        delete_file_after_commit(current.slides_file.name or "")
        current.slides_url = ""
        current.slides_file.name = ""
        current.save(update_fields=["slides_url", "slides_file"])
        touch_sessions(current.session_id)
    return current
