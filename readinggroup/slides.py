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

from .models import Slot, User

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
    return posixpath.basename(slot.slides_file.name) if slot.slides_file else "slides.pdf"


def delete_file_after_commit(name: str) -> None:
    """Delete a stored slides file once the change forgetting it has committed."""
    if name:
        storage = Slot._meta.get_field("slides_file").storage
        transaction.on_commit(lambda: storage.delete(name))


def set_slides(
    *, slot: Slot, user: User, url: str = "", upload: UploadedFile | None = None
) -> Slot:
    """Replace the slot's slides with this link and/or PDF (at least one)."""
    if not url and upload is None:
        raise SlidesError("Give a link to your slides or choose a PDF to upload.")
    if upload is not None:
        check_pdf(upload)
    field = Slot._meta.get_field("slides_file")
    new_name = ""
    if upload is not None:
        name = field.generate_filename(slot, stored_name(upload.name))
        new_name = field.storage.save(name, upload, max_length=field.max_length)
    try:
        with transaction.atomic():
            current = Slot.objects.select_for_update().get(pk=slot.pk)
            if not can_change_slides(user, current):
                raise SlidesError("Only the presenter or an organizer can change these slides.")
            old_name = current.slides_file.name or ""
            current.slides_url = url
            current.slides_file.name = new_name
            current.save(update_fields=["slides_url", "slides_file"])
            delete_file_after_commit(old_name)
    except Exception:
        if new_name:
            field.storage.delete(new_name)
        raise
    return current


def remove_slides(*, slot: Slot, user: User) -> Slot:
    with transaction.atomic():
        current = Slot.objects.select_for_update().get(pk=slot.pk)
        if not can_change_slides(user, current):
            raise SlidesError("Only the presenter or an organizer can change these slides.")
        if not current.slides_url and not current.slides_file:
            raise SlidesError("This slot has no slides to remove.")
        delete_file_after_commit(current.slides_file.name or "")
        current.slides_url = ""
        current.slides_file.name = ""
        current.save(update_fields=["slides_url", "slides_file"])
    return current
