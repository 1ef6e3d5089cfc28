"""The members page and profile in Chromium: htmx swaps in place, and the no-JS path."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from readinggroup.models import Role, User
from tests.factories import OrganizerFactory, UserFactory

from .conftest import CHROMIUM, make_session

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]

PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


def _log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Profile")).to_be_visible()


def test_organizer_promotes_and_removes_in_place(page: Page, live_server) -> None:
    OrganizerFactory(username="olga", display_name="Olga Organizer")
    mira = UserFactory(username="mira", display_name="Mira Member")
    otto = UserFactory(username="otto", display_name="Otto Other")
    make_session(days=-14, presenters=[otto])
    make_session(days=7, presenters=[mira], confirmed=False)
    _log_in(page, live_server, "olga")
    page.goto(f"{live_server.url}/members/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "members.png"), full_page=True)
    url = page.url

    row = page.locator(f"#member-{mira.pk}")
    row.get_by_role("button", name="Make organizer").click()
    expect(row).to_contain_text("Mira Member is now an organizer.")
    expect(row.get_by_role("button", name="Make member")).to_be_visible()
    assert page.url == url  # swapped in place, no navigation
    assert User.objects.get(pk=mira.pk).role == Role.ORGANIZER

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#member-{otto.pk}").get_by_role("button", name="Remove").click()
    expect(page.locator(f"#member-{otto.pk}")).to_contain_text("Otto Other was removed")
    assert not User.objects.get(pk=otto.pk).is_active


def test_member_manages_unavailable_dates_in_place(page: Page, live_server) -> None:
    UserFactory(username="mira", display_name="Mira Member")
    _log_in(page, live_server, "mira")
    page.goto(f"{live_server.url}/profile/")
    day = timezone.localdate() + dt.timedelta(days=10)
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Note (optional)").fill("conference")
    page.get_by_role("button", name="Add date").click()
    dates = page.locator("#unavailable")
    expect(dates).to_contain_text("conference")
    expect(dates).to_contain_text("as unavailable.")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_role("button", name="Add date").click()
    expect(dates).to_contain_text("You already marked")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "profile.png"), full_page=True)
    dates.get_by_role("button", name=re.compile("Remove")).click()
    expect(dates).to_contain_text("None: you are available on every date.")


def test_join_and_promote_work_without_javascript(browser: Browser, live_server, settings) -> None:
    settings.READINGGROUP_SITE_URL = live_server.url  # invite links are made from it
    OrganizerFactory(username="olga", display_name="Olga Organizer")
    page = browser.new_context(java_script_enabled=False).new_page()
    _log_in(page, live_server, "olga")
    page.goto(f"{live_server.url}/members/")
    page.get_by_label("Valid for (days)").fill("2")
    page.get_by_role("button", name="Create invite link").click()
    expect(page.locator("#shown-once")).to_contain_text("New invite link")
    link = page.get_by_label("Link to copy").input_value()
    page.get_by_role("button", name="Log out").click()

    page.goto(link)
    page.get_by_label("Username").fill("newbie")
    page.get_by_label("Display name").fill("New Bie")
    page.get_by_label("Email").fill("newbie@example.org")
    page.get_by_label("Password", exact=True).fill("a long and unusual passphrase")
    page.get_by_label("Password confirmation").fill("a long and unusual passphrase")
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator(".messages")).to_contain_text("Welcome to the reading group, New Bie!")
    assert User.objects.get(username="newbie").role == Role.MEMBER
