"""Sending through a real local SMTP server (aiosmtpd): what arrives, temporary failures
retried with backoff, permanent ones marked failed with the server's answer."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest
from django.core import mail

from readinggroup.models import Notification, NotificationKind
from readinggroup.notifications import claiming, delivery, tasks

from .conftest import london, make_session, present, run_with_retries

pytestmark = pytest.mark.django_db

REMINDER_TIME = london(2026, 3, 11, 9, 0)


@pytest.fixture
def slides_nudge(clock, organizer, member, group) -> Notification:
    """One pending notification: Mira's slides nudge for Thursday's session."""
    clock.to(london(2026, 3, 2, 12))
    session = make_session(organizer, london(2026, 3, 12, 16))
    present(session, member, title="Attention Is All You Need")
    clock.to(REMINDER_TIME)
    claiming.tick(now=REMINDER_TIME)
    return Notification.objects.get(kind=NotificationKind.SLIDES_NUDGE)


def test_smtp_server_receives_multipart_email_with_unsubscribe_headers(
    smtp_server, slides_nudge, site_url
) -> None:
    assert delivery.deliver(slides_nudge.pk).status == "sent"
    [envelope] = smtp_server.handler.received
    assert envelope.rcpt_tos == ["mira@example.org"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "Your slides for Thu 12 Mar, 16:00, please"
    assert message["From"] == "readinggroup@example.org"
    assert message["List-Unsubscribe"].strip().startswith(f"<{site_url}/notifications/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    assert "your slides are not attached yet" in parts["text/plain"]
    assert "your slides are not attached yet" in parts["text/html"]
    slides_nudge.refresh_from_db()
    assert (slides_nudge.status, slides_nudge.attempts) == ("sent", 1)


def test_451_is_temporary_retried_with_backoff_then_sent(clock, smtp_server, slides_nudge) -> None:
    smtp_server.handler.rcpt_reply = "451 4.3.0 Mailbox temporarily unavailable"
    assert delivery.deliver(slides_nudge.pk).status == "retry"
    slides_nudge.refresh_from_db()
    first = slides_nudge.retry_at
    assert first == REMINDER_TIME + dt.timedelta(seconds=60)
    assert (slides_nudge.sent_at, slides_nudge.lease_expires_at) == (None, None)
    clock.to(first)
    assert delivery.deliver(slides_nudge.pk).status == "retry"
    slides_nudge.refresh_from_db()
    assert slides_nudge.retry_at == first + dt.timedelta(seconds=120)
    assert slides_nudge.status == "pending"
    assert slides_nudge.attempts == 2
    assert slides_nudge.last_error == (
        "Attempt 2: Recipient refused (mira@example.org: 451 4.3.0 Mailbox temporarily unavailable)"
    )
    smtp_server.handler.rcpt_reply = ""
    clock.to(slides_nudge.retry_at)
    assert delivery.deliver(slides_nudge.pk).status == "sent"
    slides_nudge.refresh_from_db()
    assert (slides_nudge.status, slides_nudge.attempts, slides_nudge.last_error) == ("sent", 3, "")
    assert slides_nudge.retry_at is None
    assert len(smtp_server.handler.received) == 1


def test_550_recipient_refused_fails_at_once(smtp_server, slides_nudge) -> None:
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such user here"
    outcome = delivery.deliver(slides_nudge.pk)
    assert outcome.status == "failed"
    slides_nudge.refresh_from_db()
    assert slides_nudge.status == "failed"
    assert slides_nudge.attempts == 1
    assert slides_nudge.last_error == (
        "Recipient refused (mira@example.org: 550 5.1.1 No such user here)"
    )
    assert delivery.deliver(slides_nudge.pk).status == "done already"


def test_5xx_on_data_fails_and_4xx_on_data_retries(clock, smtp_server, slides_nudge) -> None:
    smtp_server.handler.data_reply = "452 4.3.1 Insufficient system storage"
    assert delivery.deliver(slides_nudge.pk).status == "retry"
    clock.to(REMINDER_TIME + dt.timedelta(seconds=60))
    smtp_server.handler.data_reply = "554 5.6.0 Message rejected"
    assert delivery.deliver(slides_nudge.pk).status == "failed"
    slides_nudge.refresh_from_db()
    assert slides_nudge.last_error == "SMTP server replied 554 5.6.0 Message rejected"


def test_send_task_retries_until_attempts_run_out_then_fails(
    clock, smtp_server, slides_nudge
) -> None:
    smtp_server.handler.rcpt_reply = "451 4.7.1 Greylisted, try again later"
    # The task, then the recovery enqueueing each retry at its time.
    assert tasks.send.apply(kwargs={"notification_id": slides_nudge.pk}).result == "retry"
    run_with_retries(clock)
    slides_nudge.refresh_from_db()
    assert slides_nudge.status == "failed"
    assert slides_nudge.attempts == delivery.MAX_ATTEMPTS
    assert slides_nudge.last_error == (
        "Recipient refused (mira@example.org: 451 4.7.1 Greylisted, try again later)"
        " (gave up after 6 attempts)"
    )
    assert smtp_server.handler.received == []


def test_connection_refused_is_temporary(no_smtp_server, slides_nudge) -> None:
    assert delivery.deliver(slides_nudge.pk).status == "retry"
    slides_nudge.refresh_from_db()
    assert slides_nudge.status == "pending"
    assert slides_nudge.last_error.startswith("Attempt 1: Cannot reach the SMTP server: ")
    assert "Connection refused" in slides_nudge.last_error


def test_server_disconnecting_is_temporary(smtp_server, slides_nudge) -> None:
    error = delivery.smtp_error(__import__("smtplib").SMTPServerDisconnected("gone"))
    assert (str(error), error.permanent) == ("SMTP server disconnected: gone", False)


def test_missing_site_url_fails_loudly(settings, slides_nudge) -> None:
    settings.READINGGROUP_SITE_URL = ""
    assert delivery.deliver(slides_nudge.pk).status == "failed"
    slides_nudge.refresh_from_db()
    assert "READINGGROUP_SITE_URL is not set" in slides_nudge.last_error
    assert mail.outbox == []
