from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import Count, F, Max, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from readinggroup.validators import single_line_constraint, validate_single_line

from .sessions import presented_condition


class Role(models.TextChoices):
    ORGANIZER = "organizer", "Organizer"
    MEMBER = "member", "Member"


class DigestFrequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    NONE = "none", "Never"


class UserQuerySet(models.QuerySet):
    def organizers(self) -> UserQuerySet:
        """Who runs the group: the organizer role, and superusers (always organizers)."""
        return self.filter(models.Q(role=Role.ORGANIZER) | models.Q(is_superuser=True))

    def named_like(self, text: str) -> UserQuerySet:
        """Members whose display name, first or last name or username contains ``text``."""
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(display_name__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(username__icontains=text)
        )

    def with_presentation_stats(self, now: dt.datetime | None = None) -> UserQuerySet:
        """Annotate ``presented_count`` and ``last_presented_at``.

        One grouped join over the slots: per-member subqueries cost 25 ms at 1,000
        members on PostgreSQL, this a few."""
        presented = presented_condition(now or timezone.now(), via="slots__")
        return self.annotate(
            presented_count=Count("slots", filter=presented),
            last_presented_at=Max("slots__session__starts_at", filter=presented),
        )

    def fairness_order(self) -> UserQuerySet:
        """Fewest presentations first, then those who presented longest ago (never: first).

        Needs the annotations of ``with_presentation_stats``."""
        return self.order_by(
            "presented_count",
            F("last_presented_at").asc(nulls_first=True),
            Lower("display_name"),
            Lower("username"),
        )


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    """Django's user manager (``create_user``...) with our named filters."""


class User(AbstractUser):
    """A member of the reading group. Organizers run sessions and the catalogue.

    Removing a member deactivates the account (``is_active=False``) so their
    presentations and notes stay in the group's history.
    """

    # Django's own name and email fields, with the single-line check added.
    first_name = models.CharField(
        _("first name"), max_length=150, blank=True, validators=[validate_single_line]
    )
    last_name = models.CharField(
        _("last name"), max_length=150, blank=True, validators=[validate_single_line]
    )
    email = models.EmailField(_("email address"), blank=True, validators=[validate_single_line])
    display_name = models.CharField(max_length=150, blank=True, validators=[validate_single_line])
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    # Notification preferences (used by the reminders and digests).
    notify_presenting = models.BooleanField("remind me before I present", default=True)
    notify_sessions = models.BooleanField("remind me the day before each session", default=True)
    digest = models.CharField(
        "weekly digest",
        max_length=16,
        choices=DigestFrequency.choices,
        default=DigestFrequency.WEEKLY,
    )
    last_digest_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Secret part of the private calendar feed URL; replaced to revoke the old URL.
    # Null until the member first asks for a feed (a unique default would give
    # every existing row the same value in a migration).
    calendar_token = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )

    objects = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(digest__in=DigestFrequency.values), name="user_digest_valid"
            ),
            *(
                single_line_constraint(field, f"user_{field}_single_line")
                for field in ("first_name", "last_name", "email", "display_name")
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_organizer(self) -> bool:
        return self.role == Role.ORGANIZER or self.is_superuser


class Unavailability(models.Model):
    """A date on which a member cannot present."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="unavailable_dates")
    date = models.DateField()
    note = models.CharField(max_length=200, blank=True, validators=[validate_single_line])

    class Meta:
        ordering = ["date"]
        verbose_name_plural = "unavailabilities"
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="unavailability_unique_day"),
            single_line_constraint("note", "unavailability_note_single_line"),
        ]

    def __str__(self) -> str:
        return f"{self.user} unavailable on {self.date}"


class WantToRead(models.Model):
    """A member's mark on a paper they would like the group to discuss."""

    # Two marks by one member on papers being merged are the same wish: keep one.
    MERGE_DROP_ON_CONFLICT = True

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="wants")
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="wants")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "want-to-read mark"
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="want_unique_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} wants {self.paper_id}"
