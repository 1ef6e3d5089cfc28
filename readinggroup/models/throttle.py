from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class EmailKind(models.TextChoices):
    PASSWORD_RESET = "password_reset", "Password reset"
    INVITE = "invite", "Invite or set-password link"


class ThrottledEmail(models.Model):
    """One email someone asked the site to send to an address: what the throttles count
    (readinggroup/throttle.py). Kept for the throttle's window, then pruned."""

    kind = models.CharField(max_length=32, choices=EmailKind.choices)
    # Lowercased: "Ann@Example.org" and "ann@example.org" are one mailbox to throttle.
    address = models.EmailField()
    client = models.GenericIPAddressField(null=True, blank=True)
    asked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "address", "asked_at"], name="throttle_address_idx"),
            models.Index(fields=["kind", "client", "asked_at"], name="throttle_client_idx"),
            models.Index(fields=["asked_at"], name="throttle_asked_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EmailKind.values), name="throttledemail_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(address=models.functions.Lower("address")),
                name="throttledemail_address_lowercase",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.address} at {self.asked_at:%Y-%m-%d %H:%M}"
