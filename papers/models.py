from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from readinggroup.models import Slot, WantToRead
from readinggroup.validators import single_line_constraint, validate_single_line
from readinggroup.weblinks import web_url_constraint, web_url_validator

from .parsing.base import SourceFormat
from .parsing.titles import fold

FORMAT_CHOICES = [(f.value, f.label) for f in SourceFormat]


class ReadingList(models.Model):
    """One source document (a .bib file, a Markdown list, a GitBook page)."""

    name = models.CharField(max_length=200, validators=[validate_single_line])
    source_name = models.CharField(
        max_length=255, unique=True, help_text="The file's name.", validators=[validate_single_line]
    )
    format = models.CharField(max_length=20, choices=FORMAT_CHOICES)
    content_sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=[f.value for f in SourceFormat]),
                name="readinglist_format_valid",
            ),
            single_line_constraint("name", "readinglist_name_single_line"),
            single_line_constraint("source_name", "readinglist_source_name_single_line"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("papers:paper_list") + f"?list={self.pk}"


class TopicQuerySet(models.QuerySet):
    def with_paper_counts(self) -> TopicQuerySet:
        return self.annotate(paper_count=Count("listings", distinct=True))


class Topic(models.Model):
    """A section of a reading list, in document order."""

    reading_list = models.ForeignKey(ReadingList, on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(max_length=200, validators=[validate_single_line])
    position = models.PositiveIntegerField()

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["reading_list__name", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["reading_list", "name"], name="topic_unique_name_per_list"
            ),
            single_line_constraint("name", "topic_name_single_line"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("papers:paper_list") + f"?topic={self.pk}"


class PaperQuerySet(models.QuerySet):
    def duplicate_search_pending(self) -> PaperQuerySet:
        return self.filter(duplicate_search_pending=True)

    def duplicate_search_done(self) -> PaperQuerySet:
        return self.filter(duplicate_search_pending=False)

    def search(self, query: str) -> PaperQuerySet:
        qs = self
        for word in fold(query).split():
            qs = qs.filter(search_text__contains=word)
        return qs

    def ids_by_title_key(self, keys: Iterable[str]) -> dict[str, int]:
        """title key -> id of the papers with one of ``keys`` (an import's thousands)."""
        return _by_key(self, "title_key", "pk", keys)

    def unscheduled(self) -> PaperQuerySet:
        """Papers not in any upcoming slot, most wanted first: what the pickers offer."""
        scheduled = Slot.objects.filter(paper=OuterRef("pk"), upcoming=True)
        return self.filter(~Exists(scheduled)).order_by("-want_count", "title_key")

    def venues(self) -> models.QuerySet:
        """The distinct venues, A to Z: the catalogue's venue filter."""
        return self.exclude(venue="").order_by("venue").values_list("venue", flat=True).distinct()

    def years(self) -> models.QuerySet:
        """The distinct years, newest first: the catalogue's year filter."""
        return self.exclude(year=None).order_by("-year").values_list("year", flat=True).distinct()

    # Subqueries rather than joins, so a paper listed twice is still one row.
    def in_topic(self, topic_id: int) -> PaperQuerySet:
        return self.filter(pk__in=Listing.objects.filter(topic_id=topic_id).values("paper_id"))

    def in_list(self, list_id: int) -> PaperQuerySet:
        listings = Listing.objects.filter(topic__reading_list_id=list_id)
        return self.filter(pk__in=listings.values("paper_id"))

    def recount_wants(self, paper_ids: Iterable[int] | None = None) -> int:
        """Set ``want_count`` from the marks themselves; for bulk changes that skip signals.

        The papers are locked first, so the count is taken after any concurrent
        change to their marks has committed (an increment waiting behind us then
        applies on top). Returns how many papers were recounted.
        """
        with transaction.atomic(savepoint=False):  # one per mark deleted: keep it cheap
            papers = self if paper_ids is None else self.filter(pk__in=list(paper_ids))
            locked = list(papers.select_for_update().order_by("pk").values_list("pk", flat=True))
            wants = (
                WantToRead.objects.filter(paper=OuterRef("pk"))
                .order_by()
                .values("paper")
                .annotate(n=Count("pk"))
                .values("n")
            )
            count = Coalesce(Subquery(wants), 0)
            for start in range(0, len(locked), RECOUNT_BATCH):
                batch = locked[start : start + RECOUNT_BATCH]
                Paper.objects.filter(pk__in=batch).update(want_count=count)
        return len(locked)


# Ids per UPDATE: below SQLite's limit on query parameters.
RECOUNT_BATCH = 900
# Keys per IN (...) lookup, for the same limit (32,766 since SQLite 3.32).
LOOKUP_CHUNK = 5000


def _by_key(queryset: models.QuerySet, key: str, value: str, keys: Iterable[str]) -> dict[str, int]:
    keys = list(keys)
    found: dict[str, int] = {}
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        found.update(queryset.filter(**{f"{key}__in": chunk}).values_list(key, value))
    return found


# A paper's fields shown on one line (and checked so: see readinggroup.validators).
SINGLE_LINE_FIELDS = (
    "title", "short_name", "venue", "pages", "url", "doi", "citation_key", "entry_type",
)  # fmt: skip


class Paper(models.Model):
    title = models.CharField(max_length=500, validators=[validate_single_line])
    # Case, punctuation and LaTeX folded away: two titles with the same key are one paper.
    # Unique (and venue indexed) through Meta, not the field: on PostgreSQL a field's
    # unique=True or db_index=True also builds a LIKE index that no query uses and every
    # import keeps up to date.
    title_key = models.CharField(max_length=500)
    short_name = models.CharField(max_length=100, blank=True, validators=[validate_single_line])
    authors = models.TextField(blank=True)
    venue = models.CharField(max_length=100, blank=True, validators=[validate_single_line])
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    pages = models.CharField(max_length=50, blank=True, validators=[validate_single_line])
    url = models.URLField(
        max_length=500, blank=True, validators=[web_url_validator, validate_single_line]
    )
    doi = models.CharField(max_length=200, blank=True, validators=[validate_single_line])
    citation_key = models.CharField(max_length=200, validators=[validate_single_line])
    entry_type = models.CharField(max_length=30, default="misc", validators=[validate_single_line])
    bibtex_fields = models.JSONField(default=dict, blank=True)
    # Folded title, short name, authors and venue: what the catalogue search matches.
    search_text = models.TextField(blank=True, editable=False)
    # How many members want to read it: kept in step with WantToRead (see recount_wants)
    # so "most wanted" lists need no aggregation over every mark.
    # db_default too: rows inserted by code that predates the column start at 0.
    want_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Imported in bulk and not yet compared with the catalogue for duplicates: a
    # background task does it (papers.duplicates.search_pending).
    duplicate_search_pending = models.BooleanField(default=False, db_default=False)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["title_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["title_key"],
                name="paper_title_key_unique",
                violation_error_message="A paper with this title is already in the catalogue.",
            ),
            models.UniqueConstraint(
                fields=["citation_key"],
                name="paper_citation_key_unique",
                violation_error_message="Another paper already has this citation key.",
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1900, year__lte=2100),
                name="paper_year_plausible",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="paper_title_not_empty"),
            models.CheckConstraint(
                condition=Q(want_count__gte=0), name="paper_want_count_not_negative"
            ),
            web_url_constraint("url", "paper_url_web"),
            *(
                single_line_constraint(field, f"paper_{field}_single_line")
                for field in SINGLE_LINE_FIELDS
            ),
        ]
        indexes = [
            models.Index(fields=["venue"], name="paper_venue_idx"),
            # "Most wanted first" lists read papers in this order and stop early.
            models.Index(fields=["-want_count", "title_key"], name="paper_most_wanted_idx"),
            # The duplicate search and the Duplicates page look for the few pending papers.
            models.Index(
                fields=["id"],
                condition=Q(duplicate_search_pending=True),
                name="paper_search_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.short_name}: {self.title}" if self.short_name else self.title

    def save(self, *args: object, **kwargs: object) -> None:
        # want_count changes only through UPDATEs on the column; saving an instance
        # loaded earlier must not write its stale count back.
        # Deferred fields are left out as Django itself would (none are loaded to save).
        if not self._state.adding and kwargs.get("update_fields") is None:
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                f.attname
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "want_count" and f.attname not in deferred
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("papers:paper_detail", args=[self.pk])

    def refresh_search_text(self) -> None:
        self.search_text = search_text(self.title, self.short_name, self.authors, self.venue)


def search_text(
    title: str, short_name: str, authors: str, venue: str, *, folded_title: str | None = None
) -> str:
    """What the catalogue search matches for a paper (``Paper.search_text``): the folded
    title (``folded_title`` when the caller has it), then the rest folded."""
    if folded_title is None:
        folded_title = fold(title)
    rest = fold(f"{short_name} {authors} {venue}")
    return f"{folded_title} {rest}" if folded_title and rest else folded_title or rest


class PaperAliasQuerySet(models.QuerySet):
    def paper_ids_by_title_key(self, keys: Iterable[str]) -> dict[str, int]:
        """title key -> id of the paper that each of ``keys`` now means."""
        return _by_key(self, "title_key", "paper_id", keys)


class PaperAlias(models.Model):
    """A title key that now means another paper (kept when two papers are merged)."""

    title_key = models.CharField(max_length=500, unique=True)
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="aliases")

    objects = PaperAliasQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "paper aliases"

    def __str__(self) -> str:
        return self.title_key


class Listing(models.Model):
    """A paper listed under a topic, with where it came from."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="listings")
    # No index of its own: the unique (topic, paper) index starts with it.
    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="listings", db_index=False
    )
    position = models.PositiveIntegerField()
    line = models.PositiveIntegerField(help_text="Line in the source document.")
    raw_text = models.TextField(help_text="The entry as written in the source.")

    class Meta:
        ordering = ["topic", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "paper"], name="listing_unique_paper_per_topic"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paper} in {self.topic}"


class CandidateStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISMISSED = "dismissed", "Dismissed"


class DuplicateCandidateQuerySet(models.QuerySet):
    def open(self) -> DuplicateCandidateQuerySet:
        return self.filter(status=CandidateStatus.OPEN)


class DuplicateCandidate(models.Model):
    """Two papers that probably are the same, waiting for an organizer to decide."""

    # No index of its own: the unique (paper_a, paper_b) index starts with it.
    paper_a = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+", db_index=False)
    paper_b = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reason = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=CandidateStatus.choices, default=CandidateStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DuplicateCandidateQuerySet.as_manager()

    class Meta:
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["paper_a", "paper_b"], name="candidate_unique_pair"),
            models.CheckConstraint(
                condition=Q(paper_a__lt=models.F("paper_b")), name="candidate_ordered_pair"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CandidateStatus.values), name="candidate_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status"], condition=Q(status="open"), name="candidate_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.paper_a} ~ {self.paper_b}"

    @property
    def papers(self) -> tuple[Paper, Paper]:
        return (self.paper_a, self.paper_b)


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", "Waiting for confirmation"
    APPLIED = "applied", "Imported"


class PendingImport(models.Model):
    """A file uploaded through the web, previewed before anything is written."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    filename = models.CharField(max_length=255, validators=[validate_single_line])
    content = models.BinaryField()
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEW
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="pendingimport_status_valid"
            ),
            single_line_constraint("filename", "pendingimport_filename_single_line"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"
