"""Throttles on the emails anyone can make the site send: per address and per client.

A password reset can be asked by anyone for any address, and invites and set-password
links by organizers: without a limit the site could be made to flood a mailbox, or to
spend its mail relay's reputation. Each kind of email has a limit per recipient address
and per client address within a sliding window. Requests for unknown addresses count
the same as for known ones, so a refusal says nothing about who has an account.

The counts are rows in the database (ThrottledEmail), shared by every web process.
Two requests at the same instant may both pass the last free place: a limit that
can be passed by one, never flooded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from readinggroup.models import EmailKind, ThrottledEmail

WINDOW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Limits:
    per_address: int
    per_client: int


LIMITS = {
    EmailKind.PASSWORD_RESET: Limits(per_address=3, per_client=10),
    # An organizer inviting a whole lab at once sends many, but rarely to one address.
    EmailKind.INVITE: Limits(per_address=3, per_client=50),
}


class Throttled(Exception):
    """Too many emails of this kind to this address, or from this client, just now."""

    def __init__(self, *, kind: EmailKind, per: str, until: dt.datetime) -> None:
        self.kind, self.per, self.until = kind, per, until
        local = timezone.localtime(until)
        what = "for this address" if per == "address" else "from your network"
        super().__init__(
            f"Too many {kind.label.lower()} emails were asked {what} in the last hour. "
            f"Try again after {local:%H:%M}."
        )


def normalized(address: str) -> str:
    return address.strip().lower()


def allow_email(
    *, kind: EmailKind, address: str, client: str | None, now: dt.datetime | None = None
) -> None:
    """Count one email of ``kind`` to ``address`` asked from ``client``, or raise Throttled
    (and count nothing) if either has reached its limit within the window."""
    now = now or timezone.now()
    since = now - WINDOW
    limits = LIMITS[kind]
    address = normalized(address)
    recent = ThrottledEmail.objects.filter(kind=kind, asked_at__gt=since)
    checks = [("address", recent.filter(address=address), limits.per_address)]
    if client:
        checks.append(("client", recent.filter(client=client), limits.per_client))
    for per, asked, limit in checks:
        times = list(asked.order_by("-asked_at").values_list("asked_at", flat=True)[:limit])
        if len(times) >= limit:
            # A place frees when the oldest of the last `limit` leaves the window.
            raise Throttled(kind=kind, per=per, until=times[-1] + WINDOW)
    ThrottledEmail.objects.create(kind=kind, address=address, client=client, asked_at=now)
    # Rows older than the window count for nothing: prune them as we go (indexed).
    ThrottledEmail.objects.filter(asked_at__lte=since).delete()
