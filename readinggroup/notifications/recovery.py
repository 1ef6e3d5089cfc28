"""Pending notifications that need a send task: due retries, leases whose worker died,
tasks lost before they took the row; the organizers' "send now"; and what each waits for.

Nothing here depends on the broker keeping its messages. The database says what every
pending row waits for (see Notification), and ``recover`` (the ``notifications.recover``
task, every 30 seconds, and each tick) enqueues a send through the outbox for a row that

- waited for a retry whose time has come (``retry_at`` passed);
- was being sent by a worker that died or stopped: its lease ran out (a few seconds
  after it stopped renewing it); the next send takes the row over at once;
- has no live send task: its task started and ended without taking the row (a database
  error, a worker killed between the two) or it has none at all.

A task the broker lost before any worker started it is the outbox's to publish again
(``outbox.sweep``). Each enqueue is one conditional UPDATE on what was read, in the
transaction that writes the outbox message, so two recoveries, or a recovery and an
organizer's click, enqueue a row once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from readinggroup import outbox
from readinggroup.models import Notification, NotificationStatus

from . import delivery
from .due import LOOKBACK

SEND_TASK = "notifications.send"
# A row claimed this long ago and still not sent gets the organizers' "send now" button.
WAITING_TOO_LONG = dt.timedelta(minutes=5)
# A send task queued again less than this long ago is not queued again by a click.
REQUEUE_GRACE = dt.timedelta(minutes=1)


def enqueue_send(notification: Notification, *, expect: Q, **fields: object) -> bool:
    """Write a send task for the row and point the row at it, if the row still matches
    ``expect`` (what the caller read); else write nothing. Returns whether it did."""
    with transaction.atomic():
        message = outbox.enqueue(SEND_TASK, notification_id=notification.pk)
        changed = (
            Notification.objects.filter(expect, pk=notification.pk)
            .filter(send_task_id=notification.send_task_id)
            .update(send_task=message, **fields)
        )
        if not changed:
            transaction.set_rollback(True)  # no outbox message, nothing published
    if changed:
        notification.send_task = message
    return bool(changed)


PENDING = Q(status=NotificationStatus.PENDING)
NOT_LEASED = Q(lease_expires_at__isnull=True)


def lost_send_task(now: dt.datetime) -> Q:
    """Its task is not going to take the row: none, or one that started and left it
    as it was (long enough ago that it would have taken it by now)."""
    return Q(send_task__isnull=True) | Q(send_task__started_at__lte=now - delivery.LEASE_MARGIN)


def recover(*, now: dt.datetime) -> int:
    """Enqueue a send for every pending row nobody is going to send; how many."""
    pending = Notification.objects.filter(PENDING, created_at__gt=now - LOOKBACK)
    rows = pending.filter(
        Q(lease_expires_at__lte=now)
        | (NOT_LEASED & Q(retry_at__lte=now))
        | (NOT_LEASED & Q(retry_at__isnull=True) & lost_send_task(now))
    ).select_related("send_task")
    count = 0
    for row in rows:
        if row.lease_expires_at is not None:
            count += _requeue_interrupted(row)
        else:
            expect = PENDING & NOT_LEASED & Q(retry_at=row.retry_at)
            count += enqueue_send(row, expect=expect, retry_at=None)
    return count


def _requeue_interrupted(row: Notification) -> bool:
    """Its worker stopped renewing the lease: free the row and send it again (or give up)."""
    error = delivery.interrupted_error(row)
    if row.attempts >= delivery.MAX_ATTEMPTS:
        return delivery.give_up(row, error)
    expect = PENDING & Q(attempts=row.attempts, lease_expires_at=row.lease_expires_at)
    return enqueue_send(row, expect=expect, lease_expires_at=None, sent_at=None, last_error=error)


@dataclass(frozen=True)
class RetryResult:
    done: bool
    message: str


def retry_now(*, notification_id: int, now: dt.datetime) -> RetryResult:
    """An organizer's "send now": a failed row starts over, a pending row that has waited
    too long is queued again at once, skipping the wait for its retry. A row being sent
    right now, or queued again a moment ago, is left alone (so a double click, or two
    organizers at once, queue it once)."""
    row = Notification.objects.select_related("send_task").filter(pk=notification_id).first()
    if row is None:
        return RetryResult(False, "That notification no longer exists.")
    if row.status == NotificationStatus.FAILED:
        expect = Q(status=NotificationStatus.FAILED)
        done = enqueue_send(
            row,
            expect=expect,
            status=NotificationStatus.PENDING,
            attempts=0,
            last_error="",
            sent_at=None,
        )
        return RetryResult(done, "Sending it again." if done else "It changed meanwhile.")
    if row.status != NotificationStatus.PENDING:
        return RetryResult(False, f"It is {row.get_status_display().lower()} already.")
    state = describe(row, now=now)
    if not state.can_retry:
        return RetryResult(False, state.not_retryable)
    expect = PENDING & (NOT_LEASED | Q(lease_expires_at__lte=now))
    fields: dict[str, object] = {"retry_at": None}
    if row.lease_expires_at is not None:
        fields.update(
            lease_expires_at=None, sent_at=None, last_error=delivery.interrupted_error(row)
        )
    done = enqueue_send(row, expect=expect, **fields)
    return RetryResult(
        done, "Queued again: it goes out in a moment." if done else "It changed meanwhile."
    )


# --- What each row waits for ------------------------------------------------------


@dataclass(frozen=True)
class State:
    """What organizers see in a row's Status column."""

    code: str  # queued, sending, retrying, stalled, sent, failed, dropped
    label: str
    since: dt.datetime | None = None  # queued since, sending since
    until: dt.datetime | None = None  # retrying at
    detail: str = ""  # the error the retry comes after, or the broker's
    can_retry: bool = False
    not_retryable: str = ""


def describe(row: Notification, *, now: dt.datetime) -> State:
    if row.status == NotificationStatus.SENT:
        return State("sent", "sent", since=row.sent_at)
    if row.status == NotificationStatus.FAILED:
        return State("failed", "failed", detail=row.last_error, can_retry=True)
    if row.status == NotificationStatus.DROPPED:
        return State("dropped", "dropped", detail=row.last_error)
    waited = row.created_at <= now - WAITING_TOO_LONG
    if row.lease_expires_at is not None and row.lease_expires_at > now:
        return State(
            "sending",
            "sending",
            since=row.sent_at,
            detail=row.last_error,
            not_retryable="It is being sent right now.",
        )
    if row.lease_expires_at is not None:
        return State(
            "stalled",
            "stalled",
            since=row.sent_at,
            detail="The worker sending it stopped; it is queued again within a minute.",
            can_retry=waited,
            not_retryable="" if waited else "It is queued again within a minute.",
        )
    if row.retry_at is not None:
        return State(
            "retrying",
            "retrying",
            until=row.retry_at,
            detail=row.last_error,
            can_retry=waited,
            not_retryable="" if waited else "It is retried at the time shown.",
        )
    task = row.send_task
    since = (task.enqueued_at or task.created_at) if task else row.created_at
    detail = row.last_error
    if task is not None and task.enqueued_at is None and task.last_error:
        detail = f"Waiting for the broker: {task.last_error}"
    recent = task is not None and task.created_at > now - REQUEUE_GRACE
    return State(
        "queued",
        "queued",
        since=since,
        detail=detail,
        can_retry=waited and not recent,
        not_retryable="It was queued again a moment ago."
        if recent
        else "It has waited only a few minutes.",
    )
