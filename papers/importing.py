"""Turning a parsed reading list into catalogue rows: preview first, then apply.

A paper is identified by its title key (see ``parsing.titles.title_key``) or by
an alias left behind when two papers were merged, so importing the same list
twice, or a second list naming the same paper, never creates a second paper.
Existing papers are never overwritten: an import only fills fields they lack.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from readinggroup import outbox

from . import duplicates
from .models import (
    ImportStatus,
    Listing,
    Paper,
    PaperAlias,
    PendingImport,
    ReadingList,
    Topic,
    search_text,
)
from .parsing.base import ParsedDocument, ParsedEntry, ParseProblem
from .parsing.detect import parse_document
from .parsing.titles import fold, title_key

# Fields an import may fill on an existing paper when the paper has none.
# Rows per INSERT: well under SQLite's limit on a statement's parameters.
BATCH_SIZE = 500
FILLABLE_FIELDS = ("short_name", "authors", "venue", "year", "pages", "url", "doi")


@dataclass
class EntryMatch:
    entry: ParsedEntry
    key: str
    paper: Paper | None  # None: the paper is new to the catalogue
    folded_title: str | None = None  # fold(entry.title): the key and search text start there


@dataclass
class ImportPlan:
    """What an import would do, computed without writing anything."""

    document: ParsedDocument
    new: list[EntryMatch] = field(default_factory=list)  # one per new paper
    existing: list[EntryMatch] = field(default_factory=list)  # one per known paper
    repeats: int = 0  # entries naming a paper already seen earlier in this document
    candidates: list[duplicates.Candidate] = field(default_factory=list)
    entry_keys: list[str] = field(default_factory=list)  # the title key of each entry

    @property
    def searches_later(self) -> bool:
        """Too many new papers to search for duplicates now: a background task will."""
        return len(self.new) > duplicates.INLINE_SEARCH_LIMIT

    @property
    def problems(self) -> list[ParseProblem]:
        return self.document.problems


@dataclass
class ImportReport:
    reading_list: ReadingList
    entries: int
    papers_created: int
    papers_matched: int
    papers_updated: int
    topics_created: int
    listings_created: int
    candidates_created: int
    problems: list[ParseProblem]
    seconds: float
    # The new papers' duplicate search runs in the background (see duplicates).
    duplicate_search_pending: bool = False

    def summary(self) -> str:
        candidates = (
            "the search for duplicate candidates runs in the background"
            if self.duplicate_search_pending
            else f"{self.candidates_created} duplicate candidates"
        )
        return (
            f"{self.reading_list.source_name}: {self.entries} entries, "
            f"{self.papers_created} new papers, {self.papers_matched} already in the catalogue "
            f"({self.papers_updated} completed), {self.topics_created} new topics, "
            f"{self.listings_created} new listings, {candidates}, "
            f"{len(self.problems)} problems, in {self.seconds:.2f} s"
        )


def _match_entries(document: ParsedDocument) -> tuple[list[EntryMatch], int, list[str]]:
    """One match per distinct paper of the document, in document order; the repeats;
    the title key of every entry."""
    first_by_key: dict[str, tuple[ParsedEntry, str]] = {}
    folded = [fold(entry.title) for entry in document.entries]
    entry_keys = [
        title_key(entry.title, folded=f) for entry, f in zip(document.entries, folded, strict=True)
    ]
    for key, entry, f in zip(entry_keys, document.entries, folded, strict=True):
        first_by_key.setdefault(key, (entry, f))
    repeats = len(entry_keys) - len(first_by_key)
    keys = list(first_by_key)
    paper_ids = Paper.objects.ids_by_title_key(keys)
    for key, paper_id in PaperAlias.objects.paper_ids_by_title_key(keys).items():
        paper_ids.setdefault(key, paper_id)
    papers = Paper.objects.in_bulk(set(paper_ids.values()))
    matches = [
        EntryMatch(entry, key, papers.get(paper_ids.get(key)), f)
        for key, (entry, f) in first_by_key.items()
    ]
    return matches, repeats, entry_keys


def plan_import(document: ParsedDocument) -> ImportPlan:
    matches, repeats, entry_keys = _match_entries(document)
    plan = ImportPlan(document=document, repeats=repeats, entry_keys=entry_keys)
    for match in matches:
        (plan.new if match.paper is None else plan.existing).append(match)
    if not plan.searches_later:
        plan.candidates = duplicates.find_candidates(
            [(m.key, m.entry.title, m.entry.short_name) for m in plan.new]
        )
    return plan


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def apply_import(document: ParsedDocument, *, content_sha256: str) -> ImportReport:
    """Write the document into the catalogue, all or nothing."""
    started = time.perf_counter()
    with transaction.atomic():
        reading_list, _ = ReadingList.objects.select_for_update().get_or_create(
            source_name=document.filename,
            defaults={
                "name": document.title,
                "format": document.format.value,
                "content_sha256": content_sha256,
            },
        )
        if (reading_list.name, reading_list.format, reading_list.content_sha256) != (
            document.title,
            document.format.value,
            content_sha256,
        ):
            reading_list.name = document.title
            reading_list.format = document.format.value
            reading_list.content_sha256 = content_sha256
            reading_list.save()

        topics, topics_created = _sync_topics(reading_list, document.topics)
        duplicates.search_lock()  # the plan reads which papers exist and are searched
        plan = plan_import(document)

        taken_keys = set(Paper.objects.values_list("citation_key", flat=True))
        pending = plan.searches_later
        new_papers = Paper.objects.bulk_create(
            [_new_paper(m, taken_keys, pending) for m in plan.new], batch_size=BATCH_SIZE
        )
        if pending:
            outbox.enqueue("papers.search_duplicates")
        paper_ids = {paper.title_key: paper.pk for paper in new_papers}

        updated = []
        for match in plan.existing:
            paper_ids[match.key] = match.paper.pk
            if _fill_blanks(match.paper, match.entry):
                updated.append(match.paper)
        if updated:
            Paper.objects.bulk_update(
                updated, [*FILLABLE_FIELDS, "search_text", "bibtex_fields"], batch_size=500
            )

        listings_created = _add_listings(document.entries, plan.entry_keys, topics, paper_ids)
        # The plan already compared the new papers with the catalogue and with each other,
        # inside this transaction: store those pairs rather than searching a second time.
        candidates_created = duplicates.save_candidates(plan.candidates, paper_ids)

    return ImportReport(
        reading_list=reading_list,
        entries=len(document.entries),
        papers_created=len(plan.new),
        papers_matched=len(plan.existing),
        papers_updated=len(updated),
        topics_created=topics_created,
        listings_created=listings_created,
        candidates_created=candidates_created,
        problems=document.problems,
        seconds=time.perf_counter() - started,
        duplicate_search_pending=pending,
    )


def _sync_topics(reading_list: ReadingList, names: list[str]) -> tuple[dict[str, Topic], int]:
    existing = {t.name: t for t in reading_list.topics.all()}
    created = [
        Topic(reading_list=reading_list, name=name, position=position)
        for position, name in enumerate(names, start=1)
        if name not in existing
    ]
    Topic.objects.bulk_create(created)
    moved = []
    for position, name in enumerate(names, start=1):
        topic = existing.get(name)
        if topic is not None and topic.position != position:
            topic.position = position
            moved.append(topic)
    Topic.objects.bulk_update(moved, ["position"])
    topics = {**existing, **{t.name: t for t in created}}
    return topics, len(created)


def _add_listings(
    entries: Iterable[ParsedEntry],
    keys: Iterable[str],
    topics: dict[str, Topic],
    paper_ids: dict[str, int],
) -> int:
    topic_ids = [t.pk for t in topics.values()]
    present = set(
        Listing.objects.filter(topic_id__in=topic_ids).values_list("topic_id", "paper_id")
    )
    positions: dict[int, int] = {}
    new = []
    for entry, key in zip(entries, keys, strict=True):
        topic_id = topics[entry.topic].pk
        paper_id = paper_ids[key]
        positions[topic_id] = positions.get(topic_id, 0) + 1
        if (topic_id, paper_id) in present:
            continue
        present.add((topic_id, paper_id))
        new.append(
            Listing(
                topic_id=topic_id,
                paper_id=paper_id,
                position=positions[topic_id],
                line=entry.line,
                raw_text=entry.raw,
            )
        )
    return len(Listing.objects.bulk_create(new, batch_size=BATCH_SIZE))


def _new_paper(match: EntryMatch, taken_keys: set[str], search_pending: bool) -> Paper:
    entry, key = match.entry, match.key
    return Paper(
        duplicate_search_pending=search_pending,
        title=entry.title,
        title_key=key,
        short_name=entry.short_name,
        authors=entry.authors,
        venue=entry.venue,
        year=entry.year,
        pages=entry.pages,
        url=entry.url,
        doi=entry.doi,
        citation_key=_unique_citation_key(entry, taken_keys),
        entry_type=entry.entry_type or "misc",
        bibtex_fields=entry.fields,
        search_text=search_text(
            entry.title,
            entry.short_name,
            entry.authors,
            entry.venue,
            folded_title=match.folded_title,
        ),
    )


def _fill_blanks(paper: Paper, entry: ParsedEntry) -> bool:
    changed = False
    for name in FILLABLE_FIELDS:
        value = getattr(entry, name)
        if value not in ("", None) and getattr(paper, name) in ("", None):
            setattr(paper, name, value)
            changed = True
    if entry.fields and not paper.bibtex_fields:
        paper.bibtex_fields = dict(entry.fields)
        changed = True
    if changed:
        paper.refresh_search_text()
    return changed


_KEY_CHARS = re.compile(r"[^a-z0-9]+")
_STOP = {"a", "an", "the", "on", "of", "for", "in", "to", "and", "towards", "toward"}


def _ascii_slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _KEY_CHARS.sub("", text.lower())


def _unique_citation_key(entry: ParsedEntry, taken: set[str]) -> str:
    """The source's key when it is free, else a Scholar-style one: name, year, first word."""
    base = entry.citation_key.strip()
    if not base or base in taken:
        words = [w for w in re.split(r"[\s:]+", entry.title) if _ascii_slug(w)]
        first_word = next((_ascii_slug(w) for w in words if w.lower() not in _STOP), "paper")
        author = _ascii_slug(entry.authors.split(",")[0].split()[-1]) if entry.authors else ""
        lead = author or _ascii_slug(entry.short_name) or first_word
        tail = first_word if lead != first_word else ""
        base = f"{lead}{entry.year or ''}{tail}"[:180] or "paper"
    key, suffix = base, 1
    while key in taken:
        suffix += 1
        key = f"{base}-{suffix}"
    taken.add(key)
    return key


def confirm_import(*, pending: PendingImport) -> tuple[PendingImport, bool]:
    """Import an upload that waited for confirmation, once: the upload is locked first, so
    a double click or a second tab finds it applied. Returns the upload, with its summary,
    and whether this call imported it."""
    with transaction.atomic():
        pending = PendingImport.objects.select_for_update().get(pk=pending.pk)
        if pending.status == ImportStatus.APPLIED:
            return pending, False
        data = bytes(pending.content)
        report = apply_import(
            parse_document(pending.filename, data), content_sha256=content_digest(data)
        )
        pending.status = ImportStatus.APPLIED
        pending.applied_at = timezone.now()
        pending.summary = {"text": report.summary(), "reading_list": report.reading_list.pk}
        pending.save()
    return pending, True
