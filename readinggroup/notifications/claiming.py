"""Claiming: a message is ours to send once its Notification row is inserted.

The row's unique key (kind, scope, recipient) is the claim. Each insert runs in a
savepoint; an IntegrityError means another tick (or worker) claimed it first, so
it is skipped. The send task is written to the outbox in the same transaction, so
a claim never exists without its task, and is published once the claim commits.
What becomes of it after that, retries and lost tasks included, is in ``recovery``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q

from readinggroup import outbox
from readinggroup.models import GroupSettings, Notification, NotificationStatus

from . import due as due_module
from .due import Due
from .recovery import SEND_TASK, recover


@dataclass
class ClaimResult:
    claimed: list[Notification] = field(default_factory=list)
    dropped: list[Notification] = field(default_factory=list)
    already: int = 0


def _key(n: Notification) -> tuple[str, str, str, int | None]:
    return (n.kind, n.scope, n.channel, n.recipient_id)


def _existing_keys(dues: list[Due]) -> set[tuple[str, str, str, int | None]]:
    """Keys already claimed, read in one query so a routine tick inserts nothing."""
    pairs = {(d.kind, d.scope) for d in dues}
    if not pairs:
        return set()
    match = Q()
    for kind in {kind for kind, _ in pairs}:
        match |= Q(kind=kind, scope__in=sorted(scope for k, scope in pairs if k == kind))
    rows = Notification.objects.filter(match).values_list("kind", "scope", "channel", "recipient")
    return set(rows)


def claim_one(due: Due) -> Notification | None:
    """Insert the row (and its send task); None if someone else already holds the claim."""
    status = NotificationStatus.DROPPED if due.drop_reason else NotificationStatus.PENDING
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                kind=due.kind,
                scope=due.scope,
                channel=due.channel,
                recipient_id=due.recipient_id,
                session_id=due.session_id,
                subject=due.subject[:300],
                status=status,
                last_error=due.drop_reason,
            )
            if status == NotificationStatus.PENDING:
                message = outbox.enqueue(SEND_TASK, notification_id=notification.pk)
                Notification.objects.filter(pk=notification.pk).update(send_task=message)
                notification.send_task = message
    except IntegrityError:
        return None
    return notification


def claim(dues: Iterable[Due]) -> ClaimResult:
    dues = list(dues)
    result = ClaimResult()
    with transaction.atomic():
        existing = _existing_keys(dues)
        for due in dues:
            if due.key in existing:
                result.already += 1
                continue
            notification = claim_one(due)
            if notification is None:
                result.already += 1
            elif notification.status == NotificationStatus.DROPPED:
                result.dropped.append(notification)
            else:
                result.claimed.append(notification)
            existing.add(due.key)
    return result


@dataclass
class TickResult:
    claims: ClaimResult
    requeued: int


def tick(*, now: dt.datetime) -> TickResult:
    """The periodic entry point: claim what is due now, and send again what needs it."""
    settings_row = GroupSettings.load()
    claims = claim(due_module.due_now(now=now, settings_row=settings_row))
    return TickResult(claims=claims, requeued=recover(now=now))


def claim_manual_digests(*, now: dt.datetime, token: str) -> ClaimResult:
    """An organizer's "send the digest now": its own scope, one per button press.

    ``token`` comes from the page that showed the button, so a double click or a
    resubmitted form claims the same rows and sends nothing twice, while the
    weekly digest still goes out on its day.
    """
    webhook = bool(GroupSettings.load().webhook_url)
    return claim(due_module.digest_dues(scope=f"manual:{token}", webhook=webhook))
