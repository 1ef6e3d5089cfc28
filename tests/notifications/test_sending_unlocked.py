"""Sending holds no database transaction: while the SMTP server is still answering,
another connection can write, and a second worker finds the row taken."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError, connection
from django.utils import timezone

from readinggroup.models import Notification, NotificationKind, User
from readinggroup.notifications import claiming, delivery

from .conftest import london, make_session, present

pytestmark = pytest.mark.django_db(transaction=True)

REMINDER_TIME = london(2026, 3, 11, 9, 0)


@pytest.fixture
def slides_nudge(clock, organizer, member, group) -> Notification:
    clock.to(london(2026, 3, 2, 12))
    session = make_session(organizer, london(2026, 3, 12, 16))
    present(session, member, title="Attention Is All You Need")
    clock.to(REMINDER_TIME)
    claiming.tick(now=REMINDER_TIME)
    return Notification.objects.get(kind=NotificationKind.SLIDES_NUDGE)


def _impatient() -> None:
    """Give up on a locked SQLite database after 0.3 s instead of the configured 20."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 300")


def test_database_is_writable_by_another_connection_while_sending(
    smtp_server, slides_nudge, other_member
) -> None:
    def write() -> int:
        _impatient()
        return User.objects.filter(pk=other_member.pk).update(display_name="Written meanwhile")

    smtp_server.handler.during_data = write
    assert delivery.deliver(slides_nudge.pk).status == "sent"
    assert smtp_server.handler.during_data_results == [1]
    assert not isinstance(smtp_server.handler.during_data_results[0], OperationalError)
    other_member.refresh_from_db()
    assert other_member.display_name == "Written meanwhile"
    assert len(smtp_server.handler.received) == 1


def test_second_worker_while_the_first_is_sending_finds_it_busy(smtp_server, slides_nudge) -> None:
    def second_worker() -> delivery.Outcome:
        _impatient()
        return delivery.deliver(slides_nudge.pk)

    smtp_server.handler.during_data = second_worker
    assert delivery.deliver(slides_nudge.pk).status == "sent"
    [second] = smtp_server.handler.during_data_results
    assert isinstance(second, delivery.Outcome) and second.status == "busy"
    assert len(smtp_server.handler.received) == 1
    slides_nudge.refresh_from_db()
    assert (slides_nudge.status, slides_nudge.attempts, slides_nudge.sent_at) == (
        "sent",
        1,
        REMINDER_TIME,
    )


def test_lease_left_by_a_dead_worker_is_taken_over_once_expired(
    clock, slides_nudge, member
) -> None:
    # A worker took the row (one attempt, the lease set) and died before finishing.
    lease = REMINDER_TIME + delivery.lease_for(slides_nudge.channel)
    Notification.objects.filter(pk=slides_nudge.pk).update(
        attempts=1, sent_at=REMINDER_TIME, lease_expires_at=lease
    )
    assert delivery.deliver(slides_nudge.pk) == delivery.Outcome(
        "busy", "another worker is sending it"
    )
    assert mail.outbox == []
    later = clock.to(lease + dt.timedelta(seconds=1))
    assert delivery.deliver(slides_nudge.pk, now=later).status == "sent"
    assert [m.to for m in mail.outbox] == [[member.email]]
    slides_nudge.refresh_from_db()
    assert (slides_nudge.status, slides_nudge.attempts, slides_nudge.sent_at) == (
        "sent",
        2,
        later,
    )


def test_lease_is_seconds_a_little_longer_than_the_send_timeout(settings) -> None:
    settings.EMAIL_TIMEOUT = 20
    settings.READINGGROUP_WEBHOOK_TIMEOUT = 10
    assert delivery.lease_for("email") == dt.timedelta(seconds=25)
    assert delivery.lease_for("webhook") == dt.timedelta(seconds=15)


def test_slow_server_has_the_lease_renewed_while_the_worker_waits(
    settings, smtp_server, slides_nudge
) -> None:
    """While the server takes its time (here 6 s to answer DATA, within the 10 s
    timeout), the lease is pushed forward every third of it, so it runs out only if
    the worker dies; a second worker meanwhile finds the row busy."""
    settings.EMAIL_TIMEOUT = 10  # a lease of 15 s, renewed every 5 s
    lease = delivery.lease_for("email")
    seen: list[Notification] = []

    def second_worker_after_a_renewal() -> delivery.Outcome:
        _impatient()
        time.sleep(lease.total_seconds() / 3 + 1)  # real time, whatever the clock says
        seen.append(Notification.objects.get(pk=slides_nudge.pk))
        return delivery.deliver(slides_nudge.pk, now=timezone.now())

    with time_machine.travel(REMINDER_TIME, tick=True):
        smtp_server.handler.during_data = second_worker_after_a_renewal
        assert delivery.deliver(slides_nudge.pk).status == "sent"
    [second] = smtp_server.handler.during_data_results
    assert second == delivery.Outcome("busy", "another worker is sending it")
    [during] = seen
    assert during.status == "pending"
    # Taken with a lease to taken + 15 s, renewed after 5 s to about taken + 20 s.
    assert during.lease_expires_at >= during.sent_at + lease + lease / 3
    assert len(smtp_server.handler.received) == 1
    slides_nudge.refresh_from_db()
    assert (slides_nudge.status, slides_nudge.attempts, slides_nudge.lease_expires_at) == (
        "sent",
        1,
        None,
    )


def test_acceptance_is_recorded_before_quit(smtp_server, slides_nudge) -> None:
    """The row is marked sent as soon as the server accepted the message: while the
    client still says QUIT, another connection reads it sent."""
    read_during_quit: list[tuple[str, object]] = []

    def read() -> None:
        row = Notification.objects.get(pk=slides_nudge.pk)
        read_during_quit.append((row.status, row.lease_expires_at))

    smtp_server.handler.during_quit = read
    assert delivery.deliver(slides_nudge.pk).status == "sent"
    assert read_during_quit == [("sent", None)]


def test_temporary_failure_frees_the_lease_and_schedules_the_retry(
    clock, smtp_server, slides_nudge
) -> None:
    smtp_server.handler.rcpt_reply = "451 4.3.0 Try again later"
    assert delivery.deliver(slides_nudge.pk).status == "retry"
    slides_nudge.refresh_from_db()
    assert (
        slides_nudge.status,
        slides_nudge.attempts,
        slides_nudge.sent_at,
        slides_nudge.lease_expires_at,
        slides_nudge.retry_at,
    ) == ("pending", 1, None, None, REMINDER_TIME + dt.timedelta(seconds=60))
    smtp_server.handler.rcpt_reply = ""
    clock.to(slides_nudge.retry_at)
    assert delivery.deliver(slides_nudge.pk).status == "sent"
    assert len(smtp_server.handler.received) == 1
