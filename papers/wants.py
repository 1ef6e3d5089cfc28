"""Members' want-to-read marks on papers."""

from __future__ import annotations

from django.db import transaction

from readinggroup.models import User, WantToRead

from .models import Paper


def set_want(*, user: User, paper: Paper, wanted: bool) -> bool:
    """Mark or unmark a paper as wanted; idempotent, so a double click is harmless.

    ``paper.want_count`` moves with the mark, in this transaction, and only when a
    row was really inserted or deleted (``papers.receivers``).
    """
    with transaction.atomic():
        if wanted:
            WantToRead.objects.get_or_create(user=user, paper=paper)
        else:
            WantToRead.objects.filter(user=user, paper=paper).delete()
    return wanted
