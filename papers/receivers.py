"""Signal receivers of the catalogue, connected in ``PapersConfig.ready``.

``Paper.want_count`` follows the want-to-read marks through these two, so every way of
making or removing a mark (``wants.set_want``, the admin, a deleted account's cascade,
a merge dropping a duplicate wish) keeps it right, inside the change's transaction.
Bulk operations skip signals: they call ``Paper.objects.recount_wants()`` themselves.
"""

from __future__ import annotations

from django.db.models import F
from django.db.models.signals import post_delete, post_save

from readinggroup.models import WantToRead

from .models import Paper


def count_new_want(sender: type, instance: WantToRead, created: bool, raw: bool, **kw) -> None:
    # Only a row actually inserted counts (get_or_create finding one sends no created).
    # Fixtures (raw) bring their papers' counts with them.
    if created and not raw:
        Paper.objects.filter(pk=instance.paper_id).update(want_count=F("want_count") + 1)


def recount_after_unwant(sender: type, instance: WantToRead, **kw: object) -> None:
    # A recount, not "- 1": Django sends post_delete for a row another transaction
    # deleted first, and counting what is left is right either way.
    origin = kw.get("origin")
    if isinstance(origin, Paper) or getattr(origin, "model", None) is Paper:
        return  # the paper itself is being deleted: no count left to keep
    Paper.objects.recount_wants(paper_ids=[instance.paper_id])


def connect() -> None:
    post_save.connect(count_new_want, sender=WantToRead, dispatch_uid="papers.count_new_want")
    post_delete.connect(
        recount_after_unwant, sender=WantToRead, dispatch_uid="papers.recount_after_unwant"
    )
