from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from readinggroup.validators import single_line_constraint, validate_single_line

from .users import Role


class InviteQuerySet(models.QuerySet):
    def usable(self) -> InviteQuerySet:
        return self.filter(
            used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invite(models.Model):
    """A one-time link an organizer sends to let someone create their account.

    Only a hash of the token is stored: the link itself is shown once, to the
    organizer who made it (and emailed to the invitee when an address is given).
    """

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    email = models.EmailField(blank=True, validators=[validate_single_line])
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invites_used",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InviteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invite_role_valid"),
            # An invite is used at most once: whoever used it, it has a time.
            models.CheckConstraint(
                condition=Q(used_by__isnull=True) | Q(used_at__isnull=False),
                name="invite_used_by_needs_used_at",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="invite_expires_after_creation",
            ),
            single_line_constraint("email", "invite_email_single_line"),
        ]

    def __str__(self) -> str:
        return f"Invite for {self.email or 'anyone'} ({self.get_role_display()})"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()
