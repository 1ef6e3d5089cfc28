from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from readinggroup.validators import single_line_constraint, validate_single_line


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


# Paper.want_count follows the marks through these two receivers, so every way of
# making or removing a mark (set_want, the admin, a deleted account's cascade, a
# merge dropping a duplicate wish) keeps it right, inside the change's transaction.
# Bulk operations skip signals: they call Paper.objects.recount_wants() themselves.


@receiver(post_save, sender=WantToRead)
def _count_new_want(sender: type, instance: WantToRead, created: bool, raw: bool, **kw) -> None:
    # Only a row actually inserted counts (get_or_create finding one sends no created).
    # Fixtures (raw) bring their papers' counts with them.
    if created and not raw:
        from papers.models import Paper

        Paper.objects.filter(pk=instance.paper_id).update(want_count=F("want_count") + 1)


@receiver(post_delete, sender=WantToRead)
def _recount_after_unwant(sender: type, instance: WantToRead, **kw: object) -> None:
    # A recount, not "- 1": Django sends post_delete for a row another transaction
    # deleted first, and counting what is left is right either way.
    from papers.models import Paper

    origin = kw.get("origin")
    if isinstance(origin, Paper) or getattr(origin, "model", None) is Paper:
        return  # the paper itself is being deleted: no count left to keep
    Paper.objects.recount_wants(paper_ids=[instance.paper_id])
