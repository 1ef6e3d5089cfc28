"""Real concurrency on PostgreSQL: two workers sending the same notification, two ticks
claiming at the same moment."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from readinggroup.models import Notification, NotificationKind, OutboxMessage
from readinggroup.notifications import claiming, delivery, recovery
from readinggroup.notifications.due import due_now

from .conftest import london, make_session, present

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="races need PostgreSQL"),
]

REMINDER_TIME = london(2026, 3, 11, 9, 0)


@pytest.fixture
def thursday(clock, organizer, member, other_member, group):
    clock.to(london(2026, 3, 2, 12))
    session = make_session(organizer, london(2026, 3, 12, 16))
    present(session, member)
    clock.to(REMINDER_TIME)
    return session


def race(action, count: int = 2) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action()
        except Exception as exc:  # reported by the assertions below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_workers_sending_the_same_notification_send_one_email(thursday, smtp_server) -> None:
    claiming.tick(now=REMINDER_TIME)
    row = Notification.objects.get(kind=NotificationKind.SLIDES_NUDGE)
    smtp_server.handler.delay = 1.0  # the first sender is still talking to the server
    outcomes = race(lambda: delivery.deliver(row.pk))
    assert sorted(o.status for o in outcomes) == ["busy", "sent"]
    assert len(smtp_server.handler.received) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)


def test_two_ticks_at_once_claim_each_message_once(thursday) -> None:
    # Both decide what is due first, then claim at the same moment.
    seen = [due_now(now=REMINDER_TIME) for _ in range(2)]
    results = race(lambda: claiming.claim(seen.pop()))
    assert all(isinstance(r, claiming.ClaimResult) for r in results), results
    assert sum(len(r.claimed) for r in results) == 4
    assert sum(r.already for r in results) == 4
    assert Notification.objects.count() == 4
    assert OutboxMessage.objects.count() == 4


def test_two_organizers_pressing_send_now_at_once_queue_it_once(clock, thursday) -> None:
    claiming.tick(now=REMINDER_TIME)
    row = Notification.objects.get(kind=NotificationKind.SLIDES_NUDGE)
    Notification.objects.filter(pk=row.pk).update(
        created_at=REMINDER_TIME - dt.timedelta(minutes=10),
        attempts=1,
        retry_at=REMINDER_TIME + dt.timedelta(minutes=2),
        last_error="Attempt 1: 451",
    )
    OutboxMessage.objects.update(created_at=REMINDER_TIME - dt.timedelta(minutes=10))
    results = race(lambda: recovery.retry_now(notification_id=row.pk, now=REMINDER_TIME))
    assert sorted(r.done for r in results) == [False, True], results
    assert OutboxMessage.objects.filter(kwargs={"notification_id": row.pk}).count() == 2
    row.refresh_from_db()
    assert (row.retry_at, row.send_task.created_at) == (None, REMINDER_TIME)


def test_two_recoveries_at_once_enqueue_each_due_retry_once(thursday) -> None:
    claiming.tick(now=REMINDER_TIME)
    Notification.objects.update(attempts=1, retry_at=REMINDER_TIME, last_error="Attempt 1: 451")
    before = OutboxMessage.objects.count()
    counts = race(lambda: recovery.recover(now=REMINDER_TIME))
    assert sum(counts) == 4, counts
    assert OutboxMessage.objects.count() == before + 4
    assert not Notification.objects.filter(retry_at__isnull=False).exists()


def test_acceptance_is_recorded_on_a_fresh_connection_if_the_old_one_died(
    thursday, smtp_server
) -> None:
    """The database drops the worker's connection while the server accepts the message:
    the "sent" write is tried again on a new connection instead of being lost."""
    claiming.tick(now=REMINDER_TIME)
    row = Notification.objects.get(kind=NotificationKind.SLIDES_NUDGE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [worker_pid] = cursor.fetchone()

    def kill_the_workers_connection() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [worker_pid])
            return cursor.fetchone()[0]

    smtp_server.handler.during_data = kill_the_workers_connection
    assert delivery.deliver(row.pk).status == "sent"
    assert smtp_server.handler.during_data_results == [True]
    assert len(smtp_server.handler.received) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.lease_expires_at) == ("sent", 1, None)
