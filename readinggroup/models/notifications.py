from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from readinggroup.validators import single_line_constraint, validate_single_line
from readinggroup.weblinks import web_url_constraint, web_url_validator


class GroupSettings(models.Model):
    """The group's notification settings: a single row (pk=1), edited by organizers."""

    reminder_days = models.PositiveSmallIntegerField(
        "remind presenters this many days before", default=3
    )
    reminder_hour = models.PositiveSmallIntegerField(
        "send reminders at this hour (group's time zone)", default=9
    )
    digest_weekday = models.PositiveSmallIntegerField("weekly digest day (0 = Monday)", default=0)
    digest_hour = models.PositiveSmallIntegerField("weekly digest hour", default=8)
    webhook_url = models.URLField(
        "chat webhook URL (Slack-compatible)",
        max_length=500,
        blank=True,
        validators=[web_url_validator, validate_single_line],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "group settings"
        verbose_name_plural = "group settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="group_settings_single_row"),
            models.CheckConstraint(
                condition=Q(reminder_days__gte=1, reminder_days__lte=14),
                name="group_settings_reminder_days_range",
            ),
            models.CheckConstraint(
                condition=Q(reminder_hour__lte=23), name="group_settings_reminder_hour_range"
            ),
            models.CheckConstraint(
                condition=Q(digest_weekday__lte=6), name="group_settings_digest_weekday_range"
            ),
            models.CheckConstraint(
                condition=Q(digest_hour__lte=23), name="group_settings_digest_hour_range"
            ),
            single_line_constraint("webhook_url", "group_settings_webhook_url_single_line"),
            web_url_constraint("webhook_url", "group_settings_webhook_url_web"),
        ]

    def __str__(self) -> str:
        return "Group settings"

    @classmethod
    def load(cls) -> GroupSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class NotificationKind(models.TextChoices):
    PRESENTER_REMINDER = "presenter_reminder", "Presenter reminder"
    SLIDES_NUDGE = "slides_nudge", "Slides nudge"
    CONFIRM_NUDGE = "confirm_nudge", "Confirmation nudge"
    SESSION_REMINDER = "session_reminder", "Session reminder"
    DIGEST = "digest", "Weekly digest"
    ORGANIZER_ALERT = "organizer_alert", "Open slots alert"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Chat webhook"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # claimed, not yet delivered (queued, sending or retrying)
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"  # permanent failure, error kept in last_error
    DROPPED = "dropped", "Dropped"  # its moment passed while nothing ran


class Notification(models.Model):
    """One message to one recipient, claimed under a unique key before it is sent.

    The key is (kind, scope, recipient): ``scope`` names what the message is about
    ("session:12", "slot:7:<assigned time>", "week:2026-W47"). Inserting the row is
    the claim, so a duplicate beat tick, a second worker or a retry after a crash
    finds the row already there and sends nothing.

    While pending, the row says what it waits for (notifications.recovery reads it):
    ``lease_expires_at`` set: a worker is sending it, since ``sent_at`` (the start of
    the attempt), and renews the lease while it waits on the server; ``retry_at`` set:
    a temporary failure (``last_error``), tried again then; neither: its task,
    ``send_task``, is queued in the outbox or the broker.
    """

    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    scope = models.CharField(max_length=100)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    session = models.ForeignKey(
        "readinggroup.Session",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    subject = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Sent: when the server accepted it. Pending: when the current attempt started.
    sent_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    # The outbox message of the latest send task (its published and started times).
    send_task = models.ForeignKey(
        "readinggroup.OutboxMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "scope", "recipient"],
                condition=Q(channel="email"),
                name="notification_email_once",
            ),
            models.UniqueConstraint(
                fields=["kind", "scope"],
                condition=Q(channel="webhook"),
                name="notification_webhook_once",
            ),
            models.CheckConstraint(
                condition=Q(channel="webhook", recipient__isnull=True)
                | Q(channel="email", recipient__isnull=False),
                name="notification_recipient_matches_channel",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=NotificationStatus.values),
                name="notification_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="notification_sent_has_time",
            ),
            # Only a pending row is being sent or waiting for a retry, and never both.
            models.CheckConstraint(
                condition=Q(status="pending")
                | Q(lease_expires_at__isnull=True, retry_at__isnull=True),
                name="notification_waits_only_while_pending",
            ),
            models.CheckConstraint(
                condition=Q(lease_expires_at__isnull=True) | Q(retry_at__isnull=True),
                name="notification_sending_or_retrying",
            ),
            # Subjects are made one line by subjects.subject_for; this says so too.
            single_line_constraint("subject", "notification_subject_single_line"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status="pending"),
                name="notification_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        who = self.recipient or "webhook"
        return f"{self.get_kind_display()} · {self.scope} → {who} ({self.status})"


class OutboxMessage(models.Model):
    """A task to enqueue, written in the same transaction as the change that needs it.

    If the broker is down when the transaction commits, the row stays unsent and a
    periodic sweep publishes it once the broker is back, so no work is lost.
    """

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    # When it was last published to the broker; empty while the broker refuses it.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # When a worker started the task. Only then is the message delivered: one published
    # and never started (lost with Redis's data, say) is published again.
    started_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(enqueued_at__isnull=True),
                name="outbox_unsent_idx",
            ),
            models.Index(
                fields=["enqueued_at"],
                condition=Q(enqueued_at__isnull=False, started_at__isnull=True),
                name="outbox_unstarted_idx",
            ),
        ]

    def __str__(self) -> str:
        if self.started_at:
            state = "started"
        elif self.enqueued_at:
            state = "published"
        else:
            state = "waiting"
        return f"{self.task_name}({self.kwargs}) {state}"
