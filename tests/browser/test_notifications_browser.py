"""The notifications log in a real browser: what a message waits for, and "Send now",
swapped in place with htmx and posted plainly without JavaScript."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from readinggroup.models import Notification, NotificationKind, NotificationStatus, OutboxMessage
from tests.factories import OrganizerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def retrying(transactional_db) -> Notification:
    """Mira's digest, claimed 10 minutes ago and greylisted: retried in 4 minutes."""
    OrganizerFactory(username="olga", display_name="Olga Organizer")
    mira = UserFactory(username="mira", display_name="Mira Member")
    now = timezone.now()
    row = Notification.objects.create(
        kind=NotificationKind.DIGEST,
        scope="week:2026-W11",
        recipient=mira,
        subject="Your weekly reading group digest",
        status=NotificationStatus.PENDING,
        attempts=3,
        retry_at=now + dt.timedelta(minutes=4),
        last_error="Attempt 3: Recipient refused (mira@example.org: 451 4.7.1 Greylisted)",
    )
    Notification.objects.filter(pk=row.pk).update(created_at=now - dt.timedelta(minutes=10))
    return row


def _log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_send_now_swaps_the_row_in_place(page: Page, live_server, retrying) -> None:
    _log_in(page, live_server, "olga")
    page.goto(f"{live_server.url}{reverse('notifications:log')}?status=pending")
    row = page.locator(f"#notification-{retrying.pk}")
    expect(row).to_contain_text("retrying at")
    expect(row).to_contain_text("451 4.7.1 Greylisted")
    page.evaluate("window.marker = 'same page'")

    row.get_by_role("button", name="Send now").click(delay=120)

    expect(row.locator(".notif-note")).to_have_text("Queued again: it goes out in a moment.")
    expect(row.locator(".badge")).to_have_text("queued")
    expect(row.get_by_role("button", name="Send now")).to_have_count(0)
    assert page.evaluate("window.marker") == "same page"  # no reload
    assert page.url.endswith("?status=pending")
    assert OutboxMessage.objects.filter(kwargs={"notification_id": retrying.pk}).count() == 1


def test_send_now_without_javascript(browser: Browser, live_server, retrying) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _log_in(page, live_server, "olga")
    page.goto(f"{live_server.url}{reverse('notifications:log')}")

    page.locator(f"#notification-{retrying.pk}").get_by_role("button", name="Send now").click()

    expect(page.locator(".message-success")).to_have_text("Queued again: it goes out in a moment.")
    expect(page.locator(f"#notification-{retrying.pk} .badge")).to_have_text("queued")
    retrying.refresh_from_db()
    assert (retrying.retry_at, retrying.attempts) == (None, 3)
    context.close()
