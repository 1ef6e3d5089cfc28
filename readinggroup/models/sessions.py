from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class Series(models.Model):
    """Sessions created together on a weekly rhythm; each can then be edited alone."""

    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return self.title


class SessionQuerySet(models.QuerySet):
    def upcoming(self) -> SessionQuerySet:
        return self.filter(starts_at__gte=timezone.now()).order_by("starts_at")

    def past(self) -> SessionQuerySet:
        return self.filter(starts_at__lt=timezone.now()).order_by("-starts_at")

    def scheduled(self) -> SessionQuerySet:
        return self.filter(status=SessionStatus.SCHEDULED)


class Session(models.Model):
    title = models.CharField(max_length=200, blank=True)
    starts_at = models.DateTimeField(db_index=True)  # stored in UTC, shown in TIME_ZONE
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    place = models.CharField(max_length=200, blank=True)
    video_url = models.URLField(max_length=500, blank=True)
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
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.starts_at).strftime("%a %d %b %Y, %H:%M")
        return f"{self.title} ({when})" if self.title else when

    def get_absolute_url(self) -> str:
        return reverse("session_detail", args=[self.pk])

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def is_past(self) -> bool:
        return self.starts_at < timezone.now()


class SlotQuerySet(models.QuerySet):
    def open(self) -> SlotQuerySet:
        return self.filter(presenter__isnull=True, locked=False)


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
    slides_url = models.URLField(max_length=500, blank=True)
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
        ]

    def __str__(self) -> str:
        return f"Slot {self.position} of {self.session}"

    @property
    def is_open(self) -> bool:
        return self.presenter_id is None and not self.locked

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None
