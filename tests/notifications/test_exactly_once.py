"""Exactly once: duplicate and interleaved ticks, duplicate and retried send tasks, a lost
task rescued by the recovery, and email and webhook rows that never wait for each other."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from readinggroup.models import Notification, NotificationKind, NotificationStatus, OutboxMessage
from readinggroup.notifications import claiming, delivery, recovery
from readinggroup.notifications.due import due_now

from .conftest import london, make_session, present, run_outbox

pytestmark = pytest.mark.django_db

REMINDER_TIME = london(2026, 3, 11, 9, 0)  # the day before Thursday's session


@pytest.fixture
def thursday(clock, organizer, member, other_member, group):
    clock.to(london(2026, 3, 2, 12))
    session = make_session(organizer, london(2026, 3, 12, 16))
    present(session, member)
    clock.to(REMINDER_TIME)
    return session


def reminders() -> list[tuple[str, str]]:
    return sorted((m.to[0], m.subject) for m in mail.outbox if m.subject.startswith("Reminder"))


def test_duplicate_ticks_claim_and_send_once(thursday) -> None:
    first = claiming.tick(now=REMINDER_TIME)
    second = claiming.tick(now=REMINDER_TIME)
    assert len(first.claims.claimed) == 4  # three session reminders and a slides nudge
    assert second.claims.claimed == [] and second.claims.already == 4
    assert OutboxMessage.objects.filter(task_name="notifications.send").count() == 4
    run_outbox()
    claiming.tick(now=REMINDER_TIME + dt.timedelta(minutes=5))
    run_outbox()
    assert reminders() == [
        ("mira@example.org", "Reminder: Systems, Thu 12 Mar, 16:00"),
        ("olga@example.org", "Reminder: Systems, Thu 12 Mar, 16:00"),
        ("otto@example.org", "Reminder: Systems, Thu 12 Mar, 16:00"),
    ]


def test_interleaved_ticks_second_claims_nothing(thursday) -> None:
    # Both ticks decide what is due before either claims anything.
    seen_by_a = due_now(now=REMINDER_TIME)
    seen_by_b = due_now(now=REMINDER_TIME)
    b = claiming.claim(seen_by_b)
    a = claiming.claim(seen_by_a)
    assert len(b.claimed) == 4
    assert a.claimed == [] and a.already == 4
    run_outbox()
    assert len(reminders()) == 3


def test_claim_one_integrity_error_means_someone_else_has_it(thursday) -> None:
    [due] = [d for d in due_now(now=REMINDER_TIME) if d.kind == NotificationKind.SLIDES_NUDGE]
    with transaction.atomic():  # the savepoint keeps the surrounding transaction usable
        assert claiming.claim_one(due) is not None
        assert claiming.claim_one(due) is None
        assert Notification.objects.filter(kind=NotificationKind.SLIDES_NUDGE).count() == 1
    assert OutboxMessage.objects.count() == 1


def test_send_task_twice_sends_once(thursday, member) -> None:
    claiming.tick(now=REMINDER_TIME)
    row = Notification.objects.get(kind=NotificationKind.SLIDES_NUDGE)
    assert delivery.deliver(row.pk).status == "sent"
    assert delivery.deliver(row.pk) == delivery.Outcome("done already", "sent")
    assert [m.to for m in mail.outbox] == [["mira@example.org"]]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, REMINDER_TIME)


def test_task_lost_after_it_started_is_enqueued_again_and_sent_once(clock, thursday) -> None:
    claiming.tick(now=REMINDER_TIME)
    # A worker started the tasks and died before taking the rows (or the database
    # refused it): the outbox counts them delivered, the rows wait for nothing.
    OutboxMessage.objects.update(enqueued_at=REMINDER_TIME, started_at=REMINDER_TIME)
    assert Notification.objects.filter(status="pending").count() == 4

    assert recovery.recover(now=REMINDER_TIME) == 0  # just started: it may take them yet
    later = clock.to(REMINDER_TIME + dt.timedelta(seconds=30))
    assert recovery.recover(now=later) == 4
    assert recovery.recover(now=later) == 0  # queued once
    run_outbox()
    assert len(reminders()) == 3
    assert Notification.objects.filter(status="sent").count() == 4
    assert claiming.tick(now=later + dt.timedelta(minutes=5)).requeued == 0
    run_outbox()
    assert len(reminders()) == 3


def test_task_published_and_not_started_is_left_to_the_outbox(clock, thursday) -> None:
    claiming.tick(now=REMINDER_TIME)
    OutboxMessage.objects.update(enqueued_at=REMINDER_TIME)  # in the broker, not started
    later = clock.to(REMINDER_TIME + dt.timedelta(minutes=30))
    assert recovery.recover(now=later) == 0
    assert OutboxMessage.objects.count() == 4


def test_redelivery_after_crash_mid_attempt_takes_the_expired_lease_over(clock, thursday) -> None:
    """A worker died during an attempt (counted, never finished): once its lease has run
    out, the redelivered task takes the row over at once and sends it."""
    claiming.tick(now=REMINDER_TIME)
    row = Notification.objects.get(kind=NotificationKind.SLIDES_NUDGE)
    lease = REMINDER_TIME + delivery.lease_for(row.channel)
    Notification.objects.filter(pk=row.pk).update(
        attempts=1, sent_at=REMINDER_TIME, lease_expires_at=lease
    )
    assert delivery.deliver(row.pk).status == "busy"  # redelivered at once: still leased
    clock.to(lease + dt.timedelta(seconds=1))
    assert delivery.deliver(row.pk).status == "sent"
    assert delivery.deliver(row.pk).status == "done already"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    assert (row.lease_expires_at, row.retry_at) == (None, None)
    assert [m.to for m in mail.outbox] == [["mira@example.org"]]


def test_recovery_requeues_a_row_whose_lease_ran_out_and_says_why(clock, thursday) -> None:
    claiming.tick(now=REMINDER_TIME)
    run_outbox()
    row = Notification.objects.get(kind=NotificationKind.SLIDES_NUDGE)
    Notification.objects.filter(pk=row.pk).update(
        status="pending", attempts=1, sent_at=REMINDER_TIME, lease_expires_at=REMINDER_TIME
    )
    mail.outbox.clear()
    later = clock.to(REMINDER_TIME + dt.timedelta(seconds=5))
    assert recovery.recover(now=later) == 1
    row.refresh_from_db()
    assert (row.status, row.sent_at, row.lease_expires_at) == ("pending", None, None)
    assert row.last_error == (
        "Attempt 1 was interrupted: the worker sending it stopped before it finished"
    )
    assert row.send_task.kwargs == {"notification_id": row.pk}
    assert recovery.recover(now=later) == 0
    assert run_outbox() == ["sent"]
    assert [m.to for m in mail.outbox] == [["mira@example.org"]]


def test_row_interrupted_on_its_last_attempt_fails(clock, thursday) -> None:
    claiming.tick(now=REMINDER_TIME)
    row = Notification.objects.get(kind=NotificationKind.SLIDES_NUDGE)
    Notification.objects.filter(pk=row.pk).update(
        attempts=delivery.MAX_ATTEMPTS, sent_at=REMINDER_TIME, lease_expires_at=REMINDER_TIME
    )
    assert recovery.recover(now=REMINDER_TIME + dt.timedelta(seconds=1)) == 1
    row.refresh_from_db()
    assert row.status == "failed"
    assert row.last_error == (
        "Attempt 6 was interrupted: the worker sending it stopped before it finished"
        " (gave up after 6 attempts)"
    )


def test_due_retry_is_enqueued_once_at_its_time(clock, thursday) -> None:
    claiming.tick(now=REMINDER_TIME)
    run_outbox()
    row = Notification.objects.get(kind=NotificationKind.SLIDES_NUDGE)
    retry_at = REMINDER_TIME + dt.timedelta(minutes=2)
    Notification.objects.filter(pk=row.pk).update(
        status="pending", attempts=1, retry_at=retry_at, last_error="Attempt 1: 451"
    )
    mail.outbox.clear()
    # A stray task before the time does not send early.
    assert delivery.deliver(row.pk) == delivery.Outcome("waiting", "retrying at 09:02:00")
    assert recovery.recover(now=timezone.now()) == 0
    clock.to(retry_at)
    assert recovery.recover(now=retry_at) == 1
    assert recovery.recover(now=retry_at) == 0
    assert run_outbox() == ["sent"]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.retry_at, row.last_error) == ("sent", 2, None, "")


def test_dropped_rows_are_never_enqueued(clock, thursday) -> None:
    late = clock.to(london(2026, 3, 12, 17))
    result = claiming.tick(now=late)
    assert result.claims.claimed == [] and len(result.claims.dropped) == 4
    assert OutboxMessage.objects.count() == 0
    assert set(Notification.objects.values_list("status", flat=True)) == {
        NotificationStatus.DROPPED
    }
