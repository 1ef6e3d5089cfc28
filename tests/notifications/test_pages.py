"""Organizer pages: the log, settings (with the webhook test), digest preview and
"send digest now". Organizers only: members get 403, anonymous visitors the login page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from readinggroup.models import (
    Channel,
    GroupSettings,
    Notification,
    NotificationKind,
    NotificationStatus,
    OutboxMessage,
)
from readinggroup.notes.actions import post_note
from readinggroup.notifications import tasks
from readinggroup.schedule import scheduling
from tests.factories import UserFactory

from .conftest import london, run_outbox

pytestmark = pytest.mark.django_db

LOG = reverse("notifications:log")
SETTINGS = reverse("notifications:settings")
PREVIEW = reverse("notifications:digest_preview")


def notification(recipient, **fields) -> Notification:
    values = {
        "kind": NotificationKind.SESSION_REMINDER,
        "scope": f"session:1:{recipient.pk if recipient else 'hook'}",
        "recipient": recipient,
        "channel": Channel.EMAIL if recipient else Channel.WEBHOOK,
        "subject": "Reminder: Systems, Thu 12 Mar, 16:00",
        "status": NotificationStatus.SENT,
        "sent_at": timezone.now(),
        **fields,
    }
    return Notification.objects.create(**values)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LOG),
        ("get", SETTINGS),
        ("get", PREVIEW),
        ("post", SETTINGS),
        ("post", reverse("notifications:webhook_test")),
        ("post", reverse("notifications:digest_send")),
        ("post", reverse("notifications:retry", args=[1])),
    ],
)
def test_pages_are_for_organizers_only(client, member_client, method, url) -> None:
    anonymous = getattr(client, method)(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert getattr(member_client, method)(url).status_code == 403
    assert OutboxMessage.objects.count() == 0


def test_log_shows_who_got_what_when_and_failures(organizer_client, member, other_member) -> None:
    notification(member)
    notification(
        other_member,
        status=NotificationStatus.FAILED,
        sent_at=None,
        attempts=1,
        last_error="Recipient refused (otto@example.org: 550 5.1.1 No such user here)",
    )
    notification(None, status=NotificationStatus.DROPPED, sent_at=None, last_error="x")
    page = organizer_client.get(LOG).content.decode()
    assert "Mira Member" in page and "mira@example.org" in page
    assert "Reminder: Systems, Thu 12 Mar, 16:00" in page
    assert "Recipient refused (otto@example.org: 550 5.1.1 No such user here)" in page
    assert "chat webhook" in page
    assert page.count("Send again") == 1
    assert '<span class="badge notif-failed">failed</span> 1' in page


def test_log_filters_by_kind_and_status(organizer_client, member, other_member) -> None:
    notification(member)
    notification(other_member, status=NotificationStatus.FAILED, sent_at=None, last_error="E")
    notification(member, kind=NotificationKind.DIGEST, scope="week:2026-W11")
    response = organizer_client.get(LOG, {"status": "failed"})
    assert [n.recipient.username for n in response.context["page"]] == ["otto"]
    response = organizer_client.get(LOG, {"kind": "digest"})
    assert [n.scope for n in response.context["page"]] == ["week:2026-W11"]
    response = organizer_client.get(LOG, {"kind": "digest", "status": "failed"})
    assert "No notification matches." in response.content.decode()


def test_log_htmx_answers_with_the_results_fragment(organizer_client, member) -> None:
    notification(member)
    response = organizer_client.get(LOG, {"status": "sent"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.strip().startswith('<section id="results"')
    assert "<html" not in body
    assert response["HX-Push-Url"] == f"{LOG}?status=sent"
    assert "HX-Request" in response["Vary"]


def test_log_full_page_varies_on_hx_request(organizer_client) -> None:
    response = organizer_client.get(LOG)
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_log_is_paginated(organizer_client) -> None:
    for i in range(55):
        notification(UserFactory(username=f"u{i:02d}"))
    first = organizer_client.get(LOG).content.decode()
    assert "Page 1 of 2" in first
    second = organizer_client.get(LOG, {"page": 2})
    assert len(second.context["page"].object_list) == 5


@pytest.mark.parametrize("rows", [3, 40])
def test_log_query_count_is_fixed(organizer_client, django_assert_num_queries, rows) -> None:
    for i in range(rows):
        notification(UserFactory(username=f"u{i:02d}"), session=None)
    notification(None)
    # session, user, count, the page of rows (with recipients and sessions), status counts
    with django_assert_num_queries(5):
        response = organizer_client.get(LOG)
    assert len(response.context["page"].object_list) == rows + 1


def test_retry_sends_a_failed_notification_again(organizer_client, member) -> None:
    failed = notification(
        member, status=NotificationStatus.FAILED, sent_at=None, attempts=6, last_error="E"
    )
    response = organizer_client.post(reverse("notifications:retry", args=[failed.pk]), follow=True)
    assert "Sending it again." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 0, "")
    [message] = OutboxMessage.objects.all()
    assert (message.task_name, message.kwargs) == (
        "notifications.send",
        {"notification_id": failed.pk},
    )
    assert failed.send_task == message
    again = organizer_client.post(reverse("notifications:retry", args=[failed.pk]), follow=True)
    assert "It was queued again a moment ago." in again.content.decode()
    assert OutboxMessage.objects.count() == 1


# --- What each message waits for -----------------------------------------------------

NOW = london(2026, 3, 11, 9, 0)


def row_text(page: str, row: Notification) -> str:
    """The words of one row of the log, tags stripped."""
    html = re.search(rf'<tr id="notification-{row.pk}".*?</tr>', page, re.S)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def waiting(recipient, *, claimed_ago: dt.timedelta, **fields) -> Notification:
    row = notification(
        recipient, **{"status": NotificationStatus.PENDING, "sent_at": None, **fields}
    )
    Notification.objects.filter(pk=row.pk).update(created_at=NOW - claimed_ago)
    row.refresh_from_db()
    return row


@pytest.fixture
def states(clock, member, other_member, organizer) -> dict[str, Notification]:
    clock.to(NOW)
    minute = dt.timedelta(minutes=1)
    refused = OutboxMessage.objects.create(
        task_name="notifications.send",
        attempts=2,
        last_error="OperationalError: Error 111 connecting to 127.0.0.1:6379. Connection refused.",
    )
    published = OutboxMessage.objects.create(
        task_name="notifications.send", attempts=1, enqueued_at=NOW - 2 * minute
    )
    OutboxMessage.objects.filter(pk=refused.pk).update(created_at=NOW - 3 * minute)
    OutboxMessage.objects.filter(pk=published.pk).update(created_at=NOW - 12 * minute)
    rows = {
        "queued for the broker": waiting(member, claimed_ago=3 * minute, send_task=refused),
        "queued for a worker": waiting(
            other_member, claimed_ago=12 * minute, send_task=published, scope="session:1:b"
        ),
        "sending": waiting(
            organizer,
            claimed_ago=20 * minute,
            attempts=1,
            sent_at=NOW - dt.timedelta(seconds=4),
            lease_expires_at=NOW + dt.timedelta(seconds=21),
        ),
        "retrying": waiting(
            member,
            claimed_ago=10 * minute,
            kind=NotificationKind.DIGEST,
            scope="week:2026-W11",
            attempts=2,
            retry_at=NOW + 2 * minute,
            last_error="Attempt 2: Recipient refused (mira@example.org: 451 4.7.1 Greylisted)",
        ),
        "stalled": waiting(
            other_member,
            claimed_ago=minute,
            scope="session:2:b",
            attempts=1,
            sent_at=NOW - minute,
            lease_expires_at=NOW - dt.timedelta(seconds=35),
        ),
        "failed": notification(
            organizer,
            scope="session:2:c",
            status=NotificationStatus.FAILED,
            sent_at=None,
            attempts=1,
            last_error="Recipient refused (olga@example.org: 550 5.1.1 No such user here)",
        ),
    }
    return rows


def test_log_says_what_each_message_waits_for(organizer_client, states) -> None:
    page = organizer_client.get(LOG).content.decode()
    text = {name: row_text(page, row) for name, row in states.items()}
    assert (
        "queued since 11 Mar, 08:57:00 Waiting for the broker: OperationalError: Error 111"
        in (text["queued for the broker"])
    )
    assert "queued since 11 Mar, 08:58:00" in text["queued for a worker"]
    assert "sending since 08:59:56 1 attempt" in text["sending"]
    assert (
        "retrying at 09:02:00 after 2 attempts Attempt 2: Recipient refused "
        "(mira@example.org: 451 4.7.1 Greylisted)"
    ) in text["retrying"]
    assert (
        "stalled since 08:59:00 1 attempt The worker sending it stopped; it is queued again "
        "within a minute."
    ) in text["stalled"]
    assert (
        "failed 1 attempt Recipient refused (olga@example.org: 550 5.1.1 No such user here)"
        in (text["failed"])
    )


def test_send_now_button_only_for_rows_waiting_more_than_a_few_minutes(
    organizer_client, states
) -> None:
    page = organizer_client.get(LOG).content.decode()
    buttons = {
        name: "Send now" in row_text(page, row) or "Send again" in row_text(page, row)
        for name, row in states.items()
    }
    assert buttons == {
        "queued for the broker": False,  # claimed 3 minutes ago
        "queued for a worker": True,
        "sending": False,  # being sent right now
        "retrying": True,
        "stalled": False,  # claimed a minute ago: the recovery requeues it
        "failed": True,
    }


def test_send_now_queues_a_waiting_row_at_once_and_once(organizer_client, states) -> None:
    row = states["retrying"]
    url = reverse("notifications:retry", args=[row.pk])
    response = organizer_client.post(url, follow=True)
    assert "Queued again: it goes out in a moment." in response.content.decode()
    row.refresh_from_db()
    assert (row.status, row.retry_at, row.attempts) == ("pending", None, 2)
    assert row.send_task.kwargs == {"notification_id": row.pk}
    assert "queued since 11 Mar, 09:00:00" in row_text(response.content.decode(), row)
    again = organizer_client.post(url, follow=True)  # a double click
    assert "It was queued again a moment ago." in again.content.decode()
    assert OutboxMessage.objects.filter(kwargs={"notification_id": row.pk}).count() == 1
    assert tasks.send.apply(kwargs=row.send_task.kwargs).result == "sent"
    assert [m.to for m in mail.outbox] == [["mira@example.org"]]


def test_send_now_refuses_a_row_being_sent(organizer_client, states) -> None:
    row = states["sending"]
    response = organizer_client.post(reverse("notifications:retry", args=[row.pk]), follow=True)
    assert "It is being sent right now." in response.content.decode()
    row.refresh_from_db()
    assert row.send_task is None
    assert not OutboxMessage.objects.filter(kwargs={"notification_id": row.pk}).exists()


def test_send_now_with_htmx_swaps_the_row(organizer_client, states) -> None:
    row = states["queued for a worker"]
    response = organizer_client.post(
        reverse("notifications:retry", args=[row.pk]) + "?status=pending",
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert body.strip().startswith(f'<tr id="notification-{row.pk}"')
    assert "<html" not in body
    assert "queued since 11 Mar, 09:00:00" in row_text(body, row)
    assert "Queued again: it goes out in a moment." in body
    assert "Send now" not in body  # queued a moment ago
    row.refresh_from_db()
    assert row.send_task.created_at == NOW


# --- Settings ---------------------------------------------------------------------------


def test_settings_form_saves(organizer_client) -> None:
    data = {
        "reminder_days": 2,
        "reminder_hour": 10,
        "digest_weekday": 4,
        "digest_hour": 7,
        "webhook_url": "https://hooks.example.org/T000/B000",
    }
    response = organizer_client.post(SETTINGS, data, follow=True)
    assert "Notification settings saved." in response.content.decode()
    row = GroupSettings.load()
    assert (row.reminder_days, row.reminder_hour, row.digest_weekday, row.digest_hour) == (
        2,
        10,
        4,
        7,
    )
    assert row.webhook_url == "https://hooks.example.org/T000/B000"


@pytest.mark.parametrize(
    "url", ["ftp://files.example.org/hook", "ftps://files.example.org/hook", "file:///etc/passwd"]
)
def test_settings_form_refuses_webhook_url_that_is_not_http(organizer_client, url) -> None:
    data = {"reminder_days": 3, "reminder_hour": 9, "digest_weekday": 0, "digest_hour": 8}
    response = organizer_client.post(SETTINGS, {**data, "webhook_url": url})
    assert "Enter a web link starting with https:// or http://." in response.content.decode()
    assert GroupSettings.load().webhook_url == ""


def test_settings_form_accepts_http_webhook_on_the_lan(organizer_client) -> None:
    data = {"reminder_days": 3, "reminder_hour": 9, "digest_weekday": 0, "digest_hour": 8}
    url = "http://192.168.1.20:8065/hooks/abc"  # a self-hosted Mattermost
    response = organizer_client.post(SETTINGS, {**data, "webhook_url": url}, follow=True)
    assert "Notification settings saved." in response.content.decode()
    assert GroupSettings.load().webhook_url == url


def test_settings_form_refuses_out_of_range_values(organizer_client) -> None:
    data = {"reminder_days": 30, "reminder_hour": 24, "digest_weekday": 9, "digest_hour": 8}
    response = organizer_client.post(SETTINGS, data)
    errors = response.context["form"].errors
    assert errors["reminder_days"] == ["Ensure this value is less than or equal to 14."]
    assert errors["reminder_hour"] == ["Ensure this value is less than or equal to 23."]
    assert "digest_weekday" in errors
    assert GroupSettings.load().reminder_days == 3


def test_webhook_test_button_posts_to_the_saved_url(organizer_client, webhook_server) -> None:
    GroupSettings.objects.update_or_create(pk=1, defaults={"webhook_url": webhook_server.url})
    page = organizer_client.get(SETTINGS).content.decode()
    assert "Send test message" in page
    response = organizer_client.post(reverse("notifications:webhook_test"), follow=True)
    assert "Test message sent: check the channel." in response.content.decode()
    assert webhook_server.posts[0]["json"] == {
        "text": "Test message from readinggroup, sent by Olga Organizer."
    }


def test_webhook_test_button_reports_failure(organizer_client, webhook_server) -> None:
    # One message for every failure (see tests/security/test_webhook_targets.py).
    GroupSettings.objects.update_or_create(pk=1, defaults={"webhook_url": webhook_server.url})
    webhook_server.status = 500
    response = organizer_client.post(reverse("notifications:webhook_test"), follow=True)
    page = response.content.decode()
    assert "The test message could not be delivered." in page
    assert "answered" not in page


def test_webhook_test_without_url(organizer_client, group) -> None:
    response = organizer_client.post(reverse("notifications:webhook_test"), follow=True)
    assert "Save a webhook URL first." in response.content.decode()


# --- Digest preview and send now ----------------------------------------------------------


def test_digest_preview_as_a_chosen_member(organizer_client, member, organizer) -> None:
    response = organizer_client.get(PREVIEW, {"member": member.pk})
    page = response.content.decode()
    assert "<strong>To:</strong> Mira Member &lt;mira@example.org&gt;" in page
    assert "<strong>Subject:</strong> Your weekly reading group digest" in page
    assert response.context["member"] == member
    # The HTML part in a sandboxed frame of its own document, styled as it will be sent.
    rendered = response.context["rendered"]
    frame = f'{reverse("notifications:digest_email")}?member={member.pk}'
    assert f'sandbox src="{frame}"' in page
    assert escape(rendered.text) in page
    email = organizer_client.get(frame)
    assert email.content.decode() == rendered.html
    assert "Hello Mira Member," in rendered.html
    policy = dict(p.strip().split(" ", 1) for p in email["Content-Security-Policy"].split(";"))
    assert policy == {
        "default-src": "'none'",
        "style-src": "'unsafe-inline'",
        "img-src": "'self' https: data:",
        "frame-ancestors": "'self'",
        "base-uri": "'none'",
        "form-action": "'none'",
    }
    assert email["X-Frame-Options"] == "SAMEORIGIN"


def test_digest_email_document_is_for_organizers_only(member_client, client, member) -> None:
    url = f'{reverse("notifications:digest_email")}?member={member.pk}'
    assert member_client.get(url).status_code == 403
    assert client.get(url)["Location"].startswith(reverse("login"))


def test_digest_preview_htmx_fragment(organizer_client, member) -> None:
    response = organizer_client.get(PREVIEW, {"member": member.pk}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.strip().startswith('<section id="preview"')
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]
    full = organizer_client.get(PREVIEW, {"member": member.pk})
    assert full.content.decode().startswith("<!doctype html>")
    assert "HX-Request" in full["Vary"]


@pytest.mark.parametrize("size", [2, 25])
def test_digest_preview_query_count_is_fixed(
    organizer_client, organizer, member, django_assert_num_queries, size
) -> None:
    for i in range(size):
        UserFactory(username=f"u{i:02d}")
        session = scheduling.create_session(
            by=organizer, starts_at=timezone.now() + dt.timedelta(days=1, hours=i), slot_count=2
        )
        post_note(author=organizer, body=f"Note {i}", session=session)
    # session, user, members, recipient count, then the digest: sessions, their slots,
    # open slots, wanted papers, unavailable days, notes
    with django_assert_num_queries(10):
        response = organizer_client.get(PREVIEW, {"member": member.pk})
    assert response.context["rendered"].text.count("Note ") == min(size, 10)


def test_send_digest_now_goes_once_per_press(organizer_client, member, other_member) -> None:
    token = organizer_client.get(PREVIEW).context["token"]
    url = reverse("notifications:digest_send")
    response = organizer_client.post(url, {"token": token}, follow=True)
    assert response.redirect_chain[-1][0] == f"{LOG}?kind=digest"
    assert "The digest is on its way" in response.content.decode()
    organizer_client.post(url, {"token": token})  # a double click
    assert run_outbox("notifications.send_digest_now") == [3, 0]
    run_outbox()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "mira@example.org",
        "olga@example.org",
        "otto@example.org",
    ]
    assert set(Notification.objects.values_list("scope", flat=True)) == {f"manual:{token}"}


def test_send_digest_now_refuses_a_bad_token(organizer_client) -> None:
    response = organizer_client.post(
        reverse("notifications:digest_send"), {"token": "x" * 90}, follow=True
    )
    assert "Open the preview page again" in response.content.decode()
    assert OutboxMessage.objects.count() == 0


def test_send_digest_now_htmx_redirects(organizer_client) -> None:
    token = (timezone.now() - dt.timedelta(seconds=1)).strftime("%Y%m%dT%H%M%S%fZ")
    response = organizer_client.post(
        reverse("notifications:digest_send"), {"token": token}, headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"] == f"{LOG}?kind=digest"


def test_digest_preview_escapes_what_members_wrote(organizer_client, organizer, member) -> None:
    session = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=2), slot_count=1
    )
    post_note(author=member, body="<script>alert('x')</script> and <b>bold</b>", session=session)
    page = organizer_client.get(PREVIEW, {"member": member.pk}).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page  # the plain-text part, shown as text
    url = f'{reverse("notifications:digest_email")}?member={member.pk}'
    email = organizer_client.get(url).content.decode()
    assert "<script>alert" not in email
    assert "&lt;script&gt;alert" in email  # the HTML part, escaped in the email itself


def test_admin_lists_notifications_settings_and_outbox(client, member) -> None:
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    notification(member, status=NotificationStatus.FAILED, sent_at=None, last_error="E")
    GroupSettings.load()
    OutboxMessage.objects.create(task_name="notifications.send", kwargs={"notification_id": 1})
    pages = {
        model: client.get(reverse(f"admin:readinggroup_{model}_changelist")).content.decode()
        for model in ("notification", "groupsettings", "outboxmessage")
    }
    row = pages["notification"].split("<tbody>")[1].split("</tbody>")[0]
    assert f"Session reminder · session:1:{member.pk} → Mira Member (failed)" in row
    assert '<td class="field-recipient nowrap">Mira Member</td>' in row
    assert '<td class="field-kind">Session reminder</td>' in row
    assert '<td class="field-status">Failed</td>' in row
    assert ">Group settings</a>" in pages["groupsettings"]
    assert "notifications.send" in pages["outboxmessage"]


def test_nav_links_to_the_log_for_organizers_only(organizer_client, member_client) -> None:
    link = f'href="{LOG}"'
    assert link in organizer_client.get(reverse("home")).content.decode()
    assert link not in member_client.get(reverse("home")).content.decode()
