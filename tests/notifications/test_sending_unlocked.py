"""Sending holds no database transaction: while the SMTP server is still answering,
another connection can write, and a second worker finds the row taken."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import OperationalError, connection

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
    Notification.objects.filter(pk=slides_nudge.pk).update(attempts=1, sent_at=REMINDER_TIME)
    assert delivery.deliver(slides_nudge.pk) == delivery.Outcome(
        "busy", "another worker is sending it"
    )
    assert mail.outbox == []
    later = clock.to(REMINDER_TIME + delivery.LEASE + delivery.LEASE / 10)
    assert delivery.deliver(slides_nudge.pk, now=later).status == "sent"
    assert [m.to for m in mail.outbox] == [[member.email]]
    slides_nudge.refresh_from_db()
    assert (slides_nudge.status, slides_nudge.attempts, slides_nudge.sent_at) == (
        "sent",
        2,
        later,
    )


def test_temporary_failure_frees_the_lease_for_the_retry(smtp_server, slides_nudge) -> None:
    smtp_server.handler.rcpt_reply = "451 4.3.0 Try again later"
    with pytest.raises(delivery.RetryLater):
        delivery.deliver(slides_nudge.pk)
    slides_nudge.refresh_from_db()
    assert (slides_nudge.status, slides_nudge.attempts, slides_nudge.sent_at) == (
        "pending",
        1,
        None,
    )
    smtp_server.handler.rcpt_reply = ""
    assert delivery.deliver(slides_nudge.pk).status == "sent"
    assert len(smtp_server.handler.received) == 1
