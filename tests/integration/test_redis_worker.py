"""Production shape: real workers on a real Redis, the shared test database, real mail to
a local SMTP server; and what happens while Redis is down."""

from __future__ import annotations

import datetime as dt
import re
import time
from email import message_from_bytes
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from readinggroup import outbox
from readinggroup.celery import app
from readinggroup.models import (
    GroupSettings,
    Notification,
    NotificationKind,
    NotificationStatus,
    OutboxMessage,
    Session,
    User,
)
from readinggroup.outbox import enqueue
from readinggroup.schedule import scheduling
from tests.factories import PaperFactory

from .conftest import Inbox
from .harness import RedisServer, use_broker, wait_until

pytestmark = pytest.mark.redis


def mail_env(inbox: Inbox) -> dict[str, str]:
    """A worker's mail settings pointing at the local SMTP server."""
    return {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(inbox.port),
        "EMAIL_TIMEOUT": "5",
        "DEFAULT_FROM_EMAIL": "readinggroup@example.org",
    }


def received(inbox: Inbox) -> list[tuple[str, str]]:
    """(recipient, subject) of every mail the SMTP server accepted, sorted."""
    return sorted(
        (recipient, str(message_from_bytes(envelope.original_content)["Subject"]))
        for envelope in inbox.envelopes
        for recipient in envelope.rcpt_tos
    )


def presenter_reminder_due_now(organizer: User, presenter: User) -> Session:
    """A session tomorrow (group time) with ``presenter`` in slot 1, and the group's
    settings making its presenter reminder due at the start of the current hour."""
    local_now = timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE))
    GroupSettings.objects.update_or_create(
        pk=1, defaults={"reminder_days": 1, "reminder_hour": local_now.hour}
    )
    tomorrow = local_now.date() + dt.timedelta(days=1)
    starts_at = dt.datetime.combine(tomorrow, dt.time(18), tzinfo=local_now.tzinfo)
    session = scheduling.create_session(by=organizer, starts_at=starts_at, slot_count=1)
    scheduling.claim_slot(slot=session.slots.get(), user=presenter, paper=PaperFactory())
    return session


def test_worker_on_redis_runs_task_enqueued_by_this_process(
    transactional_db, redis_broker, start_worker
):
    refused = OutboxMessage.objects.create(
        task_name="outbox.sweep", attempts=1, last_error="OperationalError: refused"
    )
    worker = start_worker("redis1", redis_url=redis_broker)

    with transaction.atomic():
        message = enqueue("outbox.sweep")

    message.refresh_from_db()
    assert message.enqueued_at is not None
    wait_until(
        lambda: OutboxMessage.objects.filter(pk=refused.pk, enqueued_at__isnull=False).exists(),
        timeout=15,
        what="the worker's sweep to publish the refused message",
    )
    # Two runs: the one enqueued here, and the one its sweep published.
    wait_until(lambda: len(worker.succeeded("outbox.sweep")) == 2, timeout=10, what="2 runs")


def test_presenter_reminder_is_mailed_once_with_two_workers_and_a_duplicate_tick(
    transactional_db, redis_broker, start_worker, smtp_inbox, organizer, member
):
    session = presenter_reminder_due_now(organizer, member)
    workers = [
        start_worker(name, redis_url=redis_broker, **mail_env(smtp_inbox))
        for name in ("redis1", "redis2")
    ]

    # What beat sends every five minutes, sent twice at once.
    app.send_task("notifications.tick")
    app.send_task("notifications.tick")

    wait_until(
        lambda: sum(len(w.succeeded("notifications.tick")) for w in workers) == 2,
        timeout=20,
        what="both ticks to run",
    )
    wait_until(
        lambda: not Notification.objects.filter(status=NotificationStatus.PENDING).exists(),
        timeout=20,
        what="every claimed notification to be sent",
    )
    reminder = Notification.objects.get(kind=NotificationKind.PRESENTER_REMINDER)
    assert (reminder.recipient, reminder.status) == (member, NotificationStatus.SENT)
    mails = received(smtp_inbox)
    subject = reminder.subject
    assert subject.startswith("Reminder: you present on ")
    assert [m for m in mails if m[1] == subject] == [("mira@example.org", subject)]
    assert len(mails) == len(set(mails)), mails  # nothing at all went out twice
    sent = Notification.objects.filter(status=NotificationStatus.SENT, channel="email")
    assert sorted(sent.values_list("recipient__email", "subject")) == mails
    assert session.notifications.filter(kind=NotificationKind.PRESENTER_REMINDER).count() == 1


def test_digest_sent_while_redis_is_down_is_mailed_once_redis_is_back(
    transactional_db, tmp_path, start_worker, smtp_inbox, organizer_client, organizer, member
):
    redis = RedisServer(tmp_path / "redis")  # not started yet: nothing listens on its port
    with use_broker(redis.url, settings.REDIS_BROKER_TRANSPORT_OPTIONS):
        # Pages work; the organizer's "send the digest now" answers at once.
        page = organizer_client.get(reverse("notifications:digest_preview"))
        assert "Send" in page.content.decode()
        token = re.search(r'name="token" value="([^"]+)"', page.content.decode())[1]

        started = time.monotonic()
        response = organizer_client.post(
            reverse("notifications:digest_send"), {"token": token}, follow=True
        )
        elapsed = time.monotonic() - started

        assert "The digest is on its way" in response.content.decode()
        assert elapsed < 2
        waiting = OutboxMessage.objects.get()
        assert waiting.task_name == "notifications.send_digest_now"
        assert waiting.kwargs == {"token": token}
        assert waiting.enqueued_at is None
        assert waiting.attempts == 1
        assert waiting.last_error.startswith("OperationalError: ")
        assert "Connection refused" in waiting.last_error
        assert smtp_inbox.envelopes == []

        # Redis comes back; the next sweep publishes the message and a worker delivers.
        redis.start()
        try:
            start_worker("redis1", redis_url=redis.url, **mail_env(smtp_inbox))
            assert outbox.sweep() == 1
            wait_until(lambda: len(smtp_inbox.envelopes) == 2, timeout=20, what="two digest mails")
            waiting.refresh_from_db()
            assert waiting.enqueued_at is not None
            assert received(smtp_inbox) == [
                ("mira@example.org", "Your weekly reading group digest"),
                ("olga@example.org", "Your weekly reading group digest"),
            ]
        finally:
            redis.stop()
