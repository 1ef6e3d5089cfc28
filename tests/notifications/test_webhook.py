"""The chat webhook, against a real local HTTP server: session reminders and the digest
summary as Slack-compatible JSON, failures retried or failed, never holding up email."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from papers.models import Paper
from readinggroup.models import Channel, Notification, NotificationKind, Session, WantToRead
from readinggroup.notifications import claiming, delivery
from tests.factories import PaperFactory

from .conftest import SITE, free_port, london, make_session, present, run_outbox, run_with_retries

pytestmark = pytest.mark.django_db

REMINDER_TIME = london(2026, 3, 11, 9, 0)


@pytest.fixture
def thursday(clock, organizer, member, group, webhook_server):
    group.webhook_url = webhook_server.url
    group.save()
    clock.to(london(2026, 3, 2, 12))
    session = make_session(
        organizer,
        london(2026, 3, 12, 16),
        place="Room 4.12",
        video_url="https://meet.example.org/rg",
    )
    present(session, member, title="Attention Is All You Need")
    clock.to(REMINDER_TIME)
    return session


def webhook_row(kind: str = NotificationKind.SESSION_REMINDER) -> Notification:
    return Notification.objects.get(kind=kind, channel=Channel.WEBHOOK)


def test_session_reminder_posted_to_webhook_once(thursday, webhook_server) -> None:
    claiming.tick(now=REMINDER_TIME)
    claiming.tick(now=REMINDER_TIME)
    run_outbox()
    row = webhook_row()
    assert (row.recipient, row.status, row.scope) == (None, "sent", row.scope)
    assert [post["content_type"] for post in webhook_server.posts] == ["application/json"]
    assert webhook_server.posts[0]["json"] == {
        "text": "*Systems*, Thu 12 Mar, 16:00 (Room 4.12 · https://meet.example.org/rg)\n"
        "1. Mira Member: Attention Is All You Need\n"
        "2. Open slot\n"
        f"{SITE}/sessions/{thursday.pk}/"
    }


def test_no_webhook_row_without_url(thursday, group) -> None:
    group.webhook_url = ""
    group.save()
    claiming.tick(now=REMINDER_TIME)
    assert not Notification.objects.filter(channel=Channel.WEBHOOK).exists()


def test_digest_summary_posted_to_webhook(clock, thursday, webhook_server) -> None:
    monday = clock.to(london(2026, 3, 9, 8, 0))
    claiming.tick(now=monday)
    run_outbox()
    assert webhook_row(NotificationKind.DIGEST).status == "sent"
    digest_posts = [p for p in webhook_server.posts if "This week" in p["json"]["text"]]
    assert [p["json"]["text"] for p in digest_posts] == [
        "*This week in the reading group* (week of 9 March)\n"
        "Coming up:\n"
        "• Thu 12 Mar, 16:00: Systems (1 paper)\n"
        f"1 open slot to claim: {SITE}/sessions/"
    ]


def test_session_reminder_escapes_what_members_typed(thursday, member, webhook_server) -> None:
    member.display_name = "<!channel>"
    member.save()
    Session.objects.filter(pk=thursday.pk).update(
        title="Evil <https://evil|x> & co", place="Room <3>"
    )
    Paper.objects.filter(slots__session=thursday).update(title="<!here> <https://evil|Paper>")
    claiming.tick(now=REMINDER_TIME)
    run_outbox()
    assert webhook_server.posts[0]["json"]["text"] == (
        "*Evil &lt;https://evil|x&gt; &amp; co*, Thu 12 Mar, 16:00 "
        "(Room &lt;3&gt; · https://meet.example.org/rg)\n"
        "1. &lt;!channel&gt;: &lt;!here&gt; &lt;https://evil|Paper&gt;\n"
        "2. Open slot\n"
        f"{SITE}/sessions/{thursday.pk}/"
    )


def test_digest_summary_escapes_titles(clock, thursday, organizer, webhook_server) -> None:
    Session.objects.filter(pk=thursday.pk).update(title="<!channel> & <https://evil|x>")
    wanted = PaperFactory(title="Read <https://evil|this>")
    WantToRead.objects.create(user=organizer, paper=wanted)
    monday = clock.to(london(2026, 3, 9, 8, 0))
    claiming.tick(now=monday)
    run_outbox()
    [text] = [p["json"]["text"] for p in webhook_server.posts if "This week" in p["json"]["text"]]
    assert text == (
        "*This week in the reading group* (week of 9 March)\n"
        "Coming up:\n"
        "• Thu 12 Mar, 16:00: &lt;!channel&gt; &amp; &lt;https://evil|x&gt; (1 paper)\n"
        f"1 open slot to claim: {SITE}/sessions/\n"
        "Most wanted: Read &lt;https://evil|this&gt;"
    )


def test_webhook_url_that_is_not_http_is_refused_by_the_database_and_at_send_time(group) -> None:
    # Around the form (the admin, a shell), the database refuses it; and were one
    # stored anyway, nothing would be fetched.
    group.webhook_url = "ftp://files.example.org/hook"
    with pytest.raises(IntegrityError), transaction.atomic():
        group.save()
    with pytest.raises(delivery.DeliveryError) as refused:
        delivery.post_webhook("ftp://files.example.org/hook", "text")
    assert (str(refused.value), refused.value.permanent) == (
        "The webhook URL must start with http:// or https:// (not ftp:).",
        True,
    )


def test_webhook_redirect_is_not_followed(thursday, webhook_server) -> None:
    webhook_server.status = 302
    webhook_server.location = "ftp://files.example.org/hook"
    claiming.tick(now=REMINDER_TIME)
    run_outbox()
    row = webhook_row()
    assert (row.status, row.last_error) == (
        "failed",
        "Webhook answered 302 Found (redirects are not followed: save the address it points to)",
    )
    assert len(webhook_server.posts) == 1


def test_webhook_500_is_retried_then_sent(clock, thursday, webhook_server) -> None:
    webhook_server.status = 500
    claiming.tick(now=REMINDER_TIME)
    row = webhook_row()
    assert delivery.deliver(row.pk).status == "retry"
    row.refresh_from_db()
    assert row.retry_at == REMINDER_TIME + dt.timedelta(seconds=60)
    clock.to(row.retry_at)
    assert (row.status, row.last_error) == (
        "pending",
        "Attempt 1: Webhook answered 500 Internal Server Error",
    )
    webhook_server.status = 200
    assert delivery.deliver(row.pk).status == "sent"
    assert len(webhook_server.posts) == 2


def test_webhook_404_fails_permanently(thursday, webhook_server) -> None:
    webhook_server.status = 404
    claiming.tick(now=REMINDER_TIME)
    assert delivery.deliver(webhook_row().pk).status == "failed"
    assert webhook_row().last_error == "Webhook answered 404 Not Found"


def test_webhook_refused_is_temporary(thursday, group) -> None:
    group.webhook_url = f"http://127.0.0.1:{free_port()}/hook"
    group.save()
    claiming.tick(now=REMINDER_TIME)
    assert delivery.deliver(webhook_row().pk).status == "retry"
    assert webhook_row().last_error.startswith("Attempt 1: Cannot reach the webhook: ")
    assert "refused" in webhook_row().last_error.lower()


def test_failing_webhook_does_not_hold_up_email(clock, thursday, webhook_server) -> None:
    webhook_server.status = 503
    claiming.tick(now=REMINDER_TIME)
    run_with_retries(clock)  # the webhook row runs through all its retries and fails
    assert webhook_row().status == "failed"
    assert webhook_row().last_error == (
        "Webhook answered 503 Service Unavailable (gave up after 6 attempts)"
    )
    emails = Notification.objects.filter(channel=Channel.EMAIL)
    assert set(emails.values_list("status", flat=True)) == {"sent"}
    assert len(mail.outbox) == emails.count() == 3  # two session reminders, a slides nudge


def test_failing_email_does_not_hold_up_webhook(
    clock, thursday, webhook_server, no_smtp_server
) -> None:
    claiming.tick(now=REMINDER_TIME)
    run_with_retries(clock)
    assert webhook_row().status == "sent"
    assert len(webhook_server.posts) == 1
    assert set(
        Notification.objects.filter(channel=Channel.EMAIL).values_list("status", flat=True)
    ) == {"failed"}


def test_webhook_removed_before_sending_is_dropped(thursday, group) -> None:
    claiming.tick(now=REMINDER_TIME)
    group.webhook_url = ""
    group.save()
    assert delivery.deliver(webhook_row().pk) == delivery.Outcome(
        "dropped", "the webhook URL was removed"
    )
