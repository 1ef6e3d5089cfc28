"""Merging two catalogue entries that are the same paper, and dismissing non-duplicates."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from readinggroup.models import User

from .duplicates import search_lock
from .models import CandidateStatus, DuplicateCandidate, Listing, Paper, PaperAlias


class MergeConflict(Exception):
    """The two papers cannot be merged without losing something; the message says what."""


def merge_papers(*, keep: Paper, drop: Paper) -> Paper:
    """Fold ``drop`` into ``keep``: every topic, source, alias and related row moves over.

    Rows of other apps pointing at a paper (want-to-read marks, notes, slots)
    move too, found through the model's relations so new ones are never
    forgotten. A row that would break a unique constraint is dropped only if
    its model says a duplicate is harmless (``MERGE_DROP_ON_CONFLICT``); any
    other conflict stops the merge and changes nothing.
    """
    if keep.pk == drop.pk:
        raise MergeConflict("A paper cannot be merged with itself.")
    with transaction.atomic():
        search_lock()  # a duplicate search must not pair a paper this merge deletes
        locked = {
            p.pk: p for p in Paper.objects.select_for_update().filter(pk__in=[keep.pk, drop.pk])
        }
        if len(locked) != 2:
            raise MergeConflict("One of the two papers no longer exists; it was merged already.")
        keep, drop = locked[keep.pk], locked[drop.pk]

        _move_listings(keep, drop)
        _move_candidates(keep, drop)
        PaperAlias.objects.filter(paper=drop).update(paper=keep)
        PaperAlias.objects.create(title_key=drop.title_key, paper=keep)
        _move_related_rows(keep, drop)

        for name in ("short_name", "authors", "venue", "year", "pages", "url", "doi"):
            if getattr(keep, name) in ("", None):
                setattr(keep, name, getattr(drop, name))
        keep.bibtex_fields = {**drop.bibtex_fields, **keep.bibtex_fields}
        keep.refresh_search_text()
        drop.delete()
        keep.save()
        # Marks moved by save() and duplicates dropped: count what keep now has.
        Paper.objects.recount_wants(paper_ids=[keep.pk])
        keep.refresh_from_db(fields=["want_count"])
    return keep


def _move_listings(keep: Paper, drop: Paper) -> None:
    keep_topics = set(keep.listings.values_list("topic_id", flat=True))
    Listing.objects.filter(paper=drop, topic_id__in=keep_topics).delete()
    Listing.objects.filter(paper=drop).update(paper=keep)


def _move_candidates(keep: Paper, drop: Paper) -> None:
    """Re-point drop's other candidate pairs at keep; the pair itself disappears."""
    pairs = DuplicateCandidate.objects.filter(Q(paper_a=drop) | Q(paper_b=drop))
    existing = set(
        DuplicateCandidate.objects.filter(Q(paper_a=keep) | Q(paper_b=keep)).values_list(
            "paper_a_id", "paper_b_id"
        )
    )
    for candidate in pairs:
        other = candidate.paper_b_id if candidate.paper_a_id == drop.pk else candidate.paper_a_id
        candidate.delete()
        if other == keep.pk:
            continue
        pair = (min(other, keep.pk), max(other, keep.pk))
        if pair in existing:
            continue
        existing.add(pair)
        DuplicateCandidate.objects.create(
            paper_a_id=pair[0],
            paper_b_id=pair[1],
            score=candidate.score,
            reason=candidate.reason,
            status=candidate.status,
            decided_by=candidate.decided_by,
            decided_at=candidate.decided_at,
        )


_HANDLED = {Listing, DuplicateCandidate, PaperAlias}


def _move_related_rows(keep: Paper, drop: Paper) -> None:
    for relation in Paper._meta.related_objects:
        model = relation.related_model
        if model in _HANDLED:
            continue
        field_name = relation.field.name
        for row in model._default_manager.filter(**{field_name: drop}):
            try:
                with transaction.atomic():
                    setattr(row, field_name, keep)
                    row.save(update_fields=[field_name])
            except IntegrityError:
                if not getattr(model, "MERGE_DROP_ON_CONFLICT", False):
                    raise MergeConflict(
                        f"Both papers have a {model._meta.verbose_name} that cannot be combined "
                        f"({row}); resolve it first."
                    ) from None
                row.delete()


def dismiss_candidate(*, candidate_id: int, by: User) -> bool:
    """Mark a pair as not duplicates. False when someone already decided it."""
    updated = DuplicateCandidate.objects.filter(
        pk=candidate_id, status=CandidateStatus.OPEN
    ).update(status=CandidateStatus.DISMISSED, decided_by=by, decided_at=timezone.now())
    return updated == 1


def merge_candidate(*, candidate_id: int, keep_id: int) -> Paper | None:
    """Merge an open candidate pair, keeping ``keep_id``. None when already resolved."""
    with transaction.atomic():
        candidate = (
            DuplicateCandidate.objects.select_for_update()
            .filter(pk=candidate_id, status=CandidateStatus.OPEN)
            .select_related("paper_a", "paper_b")
            .first()
        )
        if candidate is None:
            return None
        if keep_id not in (candidate.paper_a_id, candidate.paper_b_id):
            raise MergeConflict("The paper to keep must be one of the pair.")
        keep, drop = (
            (candidate.paper_a, candidate.paper_b)
            if keep_id == candidate.paper_a_id
            else (candidate.paper_b, candidate.paper_a)
        )
        return merge_papers(keep=keep, drop=drop)
