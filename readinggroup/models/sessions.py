from __future__ import annotations

import datetime as dt
import posixpath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from readinggroup.validators import single_line_constraint, validate_single_line
from readinggroup.weblinks import web_url_constraint, web_url_validator


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class Series(models.Model):
    """Sessions created together on a weekly rhythm; each can then be edited alone."""

    title = models.CharField(max_length=200, validators=[validate_single_line])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "series"
        constraints = [single_line_constraint("title", "series_title_single_line")]

    def __str__(self) -> str:
        return self.title


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


# One meaning each, used everywhere. A session "lies ahead" until the moment it
# starts (then it has taken place: no more claims, its papers are free again), and
# only while it is scheduled. A presentation counts once its session has started.


class SessionQuerySet(models.QuerySet):
    def ahead(self, now: dt.datetime | None = None) -> SessionQuerySet:
        """Scheduled sessions that have not started yet."""
        return self.filter(status=SessionStatus.SCHEDULED, starts_at__gt=_now(now))

    def next_start(self, now: dt.datetime | None = None) -> dt.datetime | None:
        """When the next of these sessions starts: the next moment "ahead" and
        "presented" change without any write (cached renderings hold until then)."""
        starts = self.filter(starts_at__gte=_now(now)).order_by("starts_at")
        return starts.values_list("starts_at", flat=True).first()

    def touch(self, now: dt.datetime | None = None) -> int:
        """Mark these sessions changed (``update()`` skips ``auto_now``): calendars refresh."""
        return self.update(updated_at=_now(now))

    def upcoming(self) -> SessionQuerySet:
        return self.filter(starts_at__gte=timezone.now()).order_by("starts_at")

    def past(self) -> SessionQuerySet:
        return self.filter(starts_at__lt=timezone.now()).order_by("-starts_at")

    def scheduled(self) -> SessionQuerySet:
        return self.filter(status=SessionStatus.SCHEDULED)


class Session(models.Model):
    title = models.CharField(max_length=200, blank=True, validators=[validate_single_line])
    starts_at = models.DateTimeField(db_index=True)  # stored in UTC, shown in TIME_ZONE
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    place = models.CharField(max_length=200, blank=True, validators=[validate_single_line])
    video_url = models.URLField(
        max_length=500, blank=True, validators=[web_url_validator, validate_single_line]
    )
    theme_topic = models.ForeignKey(
        "papers.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    slot_count = models.PositiveSmallIntegerField(default=2)
    status = models.CharField(
        max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    scribe = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scribe_sessions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_count__gte=1, slot_count__lte=12), name="session_slot_count_range"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15, duration_minutes__lte=600),
                name="session_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="session_status_valid"
            ),
            single_line_constraint("title", "session_title_single_line"),
            single_line_constraint("place", "session_place_single_line"),
            single_line_constraint("video_url", "session_video_url_single_line"),
            web_url_constraint("video_url", "session_video_url_web"),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.starts_at).strftime("%a %d %b %Y, %H:%M")
        return f"{self.title} ({when})" if self.title else when

    def get_absolute_url(self) -> str:
        return reverse("schedule:session_detail", args=[self.pk])

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def is_past(self) -> bool:
        return self.starts_at < timezone.now()


def claimable_condition(now: dt.datetime | None = None) -> Q:
    """Slots a member could claim: open, in a scheduled session that has not started."""
    return Q(
        presenter__isnull=True,
        locked=False,
        upcoming=True,
        session__status=SessionStatus.SCHEDULED,
        session__starts_at__gt=_now(now),
    )


def presented_condition(before: dt.datetime | None = None, *, via: str = "") -> Q:
    """Presentations given: a presenter in a scheduled session that has started.

    ``via`` is the path from the queried model to the slot ("slots__" from a user).
    """
    return Q(
        **{
            f"{via}presenter__isnull": False,
            f"{via}session__status": SessionStatus.SCHEDULED,
            f"{via}session__starts_at__lte": _now(before),
        }
    )


class SlotQuerySet(models.QuerySet):
    def open(self) -> SlotQuerySet:
        return self.filter(presenter__isnull=True, locked=False)

    def ahead(self, now: dt.datetime | None = None) -> SlotQuerySet:
        """Slots of the sessions ahead (see ``SessionQuerySet.ahead``)."""
        return self.filter(
            session__status=SessionStatus.SCHEDULED, session__starts_at__gt=_now(now)
        )

    def claimable(self, now: dt.datetime | None = None) -> SlotQuerySet:
        return self.filter(claimable_condition(now))

    def open_upcoming(self) -> SlotQuerySet:
        """Claimable slots with their sessions, soonest first: what a paper's page offers."""
        return self.claimable().select_related("session").order_by("session__starts_at", "position")

    def presented(self, before: dt.datetime | None = None) -> SlotQuerySet:
        """Presentations given (see ``presented_condition``)."""
        return self.filter(presented_condition(before))


# The slides belong to a presenter's talk: when the presenter leaves, so do they.
NO_SLIDES = {"slides_url": "", "slides_file": ""}


class Slot(models.Model):
    """One presentation in a session: a presenter and the paper they present."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="slots")
    position = models.PositiveSmallIntegerField()
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="slots",
    )
    paper = models.ForeignKey(
        "papers.Paper", null=True, blank=True, on_delete=models.PROTECT, related_name="slots"
    )
    # Who put the presenter here (themselves, when they claimed it) and when.
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    locked = models.BooleanField(default=False)
    slides_url = models.URLField(
        max_length=500, blank=True, validators=[web_url_validator, validate_single_line]
    )
    slides_file = models.FileField(upload_to="slides/%Y/", blank=True)
    # True while the session lies ahead and is not cancelled. It lets the database
    # enforce "a paper is scheduled at most once among upcoming sessions" with a
    # partial unique index; domain functions clear it as sessions pass or are cancelled.
    upcoming = models.BooleanField(default=True)

    objects = SlotQuerySet.as_manager()

    class Meta:
        ordering = ["session__starts_at", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="slot_unique_position"),
            models.UniqueConstraint(
                fields=["paper"],
                condition=Q(paper__isnull=False, upcoming=True),
                name="slot_paper_scheduled_once",
            ),
            models.CheckConstraint(
                condition=Q(presenter__isnull=False) | Q(confirmed_at__isnull=True),
                name="slot_confirmed_needs_presenter",
            ),
            # Slides are a presenter's: a slot nobody presents has none to inherit.
            models.CheckConstraint(
                condition=Q(presenter__isnull=False) | Q(slides_url="", slides_file=""),
                name="slot_slides_need_presenter",
            ),
            models.UniqueConstraint(
                fields=["session", "presenter"],
                condition=Q(presenter__isnull=False),
                name="slot_one_per_presenter_per_session",
            ),
            single_line_constraint("slides_url", "slot_slides_url_single_line"),
            web_url_constraint("slides_url", "slot_slides_url_web"),
        ]

    def __str__(self) -> str:
        return f"Slot {self.position} of {self.session}"

    @property
    def is_open(self) -> bool:
        return self.presenter_id is None and not self.locked

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def slides_name(self) -> str:
        """The uploaded PDF's name as the presenter chose it, without the random folder."""
        return posixpath.basename(self.slides_file.name) if self.slides_file else ""
