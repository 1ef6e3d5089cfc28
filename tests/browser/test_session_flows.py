"""Session flows in a real browser: scheduling, assigning, claiming, notes, slides.

Full-page screenshots of the main pages go to $SCREENSHOT_DIR (a pytest temporary
directory when it is not set), so CI can keep them as artifacts.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from readinggroup.models import Session, Slot
from readinggroup.schedule import scheduling
from tests.factories import OrganizerFactory, PaperFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("SCREENSHOT_DIR")
    root = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _shot(page: Page, shots: Path, name: str) -> None:
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000


@pytest.fixture
def group(transactional_db) -> dict:
    """Olga organizes; Mira and Otto are members; a few papers to pick from."""
    return {
        "olga": OrganizerFactory(username="olga", display_name="Olga Organizer"),
        "mira": UserFactory(username="mira", display_name="Mira Member"),
        "otto": UserFactory(username="otto", display_name="Otto Other"),
        "pollux": PaperFactory(title="Pollux: Co-adaptive Cluster Scheduling", venue="OSDI"),
        "gandiva": PaperFactory(title="Gandiva: Introspective Cluster Scheduling", venue="OSDI"),
        "orca": PaperFactory(title="Orca: A Distributed Serving System", venue="OSDI"),
    }


@pytest.fixture
def session(group) -> Session:
    return scheduling.create_session(
        by=group["olga"],
        starts_at=timezone.now() + dt.timedelta(days=7),
        slot_count=2,
        title="Schedulers week",
    )


def _log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _slot_card(page: Page, slot: Slot):
    return page.locator(f"#slot-{slot.pk}")


def test_organizer_schedules_a_session_and_assigns_a_presenter(
    page: Page, live_server, group, shots: Path
) -> None:
    _log_in(page, live_server, "olga")
    page.goto(f"{live_server.url}{reverse('schedule:session_list')}")
    page.get_by_role("link", name="New session").click()
    starts = timezone.localtime(timezone.now() + dt.timedelta(days=10)).replace(hour=16, minute=0)
    page.get_by_label("Title", exact=True).fill("Kick-off")
    page.get_by_label("Date and time").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Presentation slots").fill("2")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".message-success")).to_contain_text("Session scheduled: Kick-off")
    session = Session.objects.get(title="Kick-off")
    expect(page).to_have_url(f"{live_server.url}{session.get_absolute_url()}")
    expect(page.locator("h1")).to_have_text(starts.strftime("%A %-d %B %Y, 16:00"))

    first = _slot_card(page, session.slots.get(position=1))
    first.locator("summary", has_text="Assign").click()
    first.get_by_label("Presenter").select_option(label="Mira Member")
    first.locator("details.assign select[name=paper]").select_option(str(group["orca"].pk))
    first.get_by_role("button", name="Save").click()
    first = _slot_card(page, session.slots.get(position=1))  # swapped in by htmx
    expect(first.locator(".message-success")).to_have_text("Slot updated.")
    expect(first.locator(".presenter")).to_have_text("Mira Member")
    expect(first).to_contain_text("waiting for confirmation")
    expect(first.locator(".provenance")).to_contain_text("Assigned by Olga Organizer ·")

    # The second slot from the fair suggestions: nobody has presented yet, Mira is
    # already in this session, and Olga comes before Otto by username.
    page.get_by_role("link", name="Suggest presenters").click()
    expect(page.locator(".suggestion")).to_have_count(1)
    expect(page.locator(".suggestion strong")).to_have_text("Olga Organizer")
    expect(page.locator(".suggestion .why")).to_contain_text("presented 0 times")
    _shot(page, shots, "session-suggestions")
    page.get_by_role("button", name="Accept all").click()
    expect(page.locator(".messages")).to_contain_text("Slot 2:")
    slot2 = Slot.objects.get(session=session, position=2)
    assert slot2.presenter == group["olga"]
    expect(_slot_card(page, slot2).locator(".presenter")).to_have_text("Olga Organizer")
    _shot(page, shots, "session-organizer")


def test_member_claims_posts_a_note_and_finds_it(
    page: Page, browser: Browser, live_server, group, session, shots: Path
) -> None:
    _log_in(page, live_server, "mira")
    page.goto(f"{live_server.url}{session.get_absolute_url()}")
    slot = session.slots.get(position=1)
    card = _slot_card(page, slot)
    card.get_by_label("Paper to present").select_option(str(group["pollux"].pk))
    card.get_by_role("button", name="Claim this slot").click()
    card = _slot_card(page, slot)
    expect(card.locator(".message-success")).to_have_text("The slot is yours.")
    expect(card.locator(".provenance")).to_contain_text("Claimed by Mira Member ·")

    # Slides through htmx (a multipart post swapping the slot).
    card.locator("summary", has_text="Add slides").click()
    card.get_by_label("or a PDF").set_input_files(
        files=[{"name": "pollux.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    card.get_by_role("button", name="Save slides").click()
    card = _slot_card(page, slot)
    expect(card.locator(".message-success")).to_have_text("Slides saved.")
    expect(card.get_by_role("link", name="Slides (PDF)")).to_be_visible()

    page.get_by_label("Add a note").fill(
        "Pollux tunes **goodput** per job; ask about elastic jobs."
    )
    page.get_by_role("button", name="Post note").click()
    expect(page.locator("#thread .note-body")).to_contain_text("Pollux tunes goodput per job")
    _shot(page, shots, "session")

    page.get_by_role("link", name="Notes", exact=True).click()
    page.get_by_role("searchbox", name="Search").fill("goodput")
    expect(page.locator(".count")).to_have_text("1 note matches")
    expect(page.locator(".note-snippet mark")).to_have_text("goodput")
    _shot(page, shots, "notes-search")

    # (c) Otto, in a browser of his own, sees the claim on the session and the paper.
    context = browser.new_context()
    otto = context.new_page()
    _log_in(otto, live_server, "otto")
    otto.goto(f"{live_server.url}{session.get_absolute_url()}")
    otto_card = _slot_card(otto, slot)
    expect(otto_card.locator(".presenter")).to_have_text("Mira Member")
    expect(otto_card).to_contain_text("Pollux: Co-adaptive Cluster Scheduling")
    expect(otto_card.get_by_role("link", name="Slides (PDF)")).to_be_visible()
    expect(otto_card.get_by_role("button", name="Release")).to_have_count(0)
    otto.goto(f"{live_server.url}{group['pollux'].get_absolute_url()}")
    expect(otto.locator("#presenting")).to_contain_text("Mira Member presents it")
    _shot(otto, shots, "paper")
    otto.goto(f"{live_server.url}/")
    _shot(otto, shots, "home")
    otto.goto(f"{live_server.url}{reverse('papers:paper_list')}?sort=wanted")
    _shot(otto, shots, "catalogue")
    try:
        members_url = reverse("members:member_list")
    except NoReverseMatch:
        members_url = ""
    if members_url:
        otto.goto(f"{live_server.url}{members_url}")
        _shot(otto, shots, "members")
    context.close()


def test_claim_and_post_without_javascript(
    browser: Browser, live_server, group, session, shots: Path
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _log_in(page, live_server, "mira")

    # Claim from the paper's page: each open slot is a plain submit button.
    page.goto(f"{live_server.url}{group['gandiva'].get_absolute_url()}")
    page.locator("#presenting").get_by_role("button", name=re.compile(r"slot 2$")).click()
    expect(page).to_have_url(f"{live_server.url}{session.get_absolute_url()}")
    expect(page.locator(".message-success")).to_have_text("The slot is yours.")
    slot = session.slots.get(position=2)
    card = _slot_card(page, slot)
    expect(card.locator(".presenter")).to_have_text("Mira Member")

    card.locator("summary", has_text="Add slides").click()
    card.get_by_label("or a PDF").set_input_files(
        files=[{"name": "gandiva.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    card.get_by_role("button", name="Save slides").click()
    expect(page.locator(".message-success")).to_have_text("Slides saved.")
    pdf = page.request.get(f"{live_server.url}{reverse('schedule:slot_slides', args=[slot.pk])}")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body() == PDF

    page.get_by_label("Add a note").fill("Gandiva migrates jobs; compare with **Pollux**.")
    page.get_by_role("button", name="Post note").click()
    expect(page).to_have_url(re.compile(re.escape(session.get_absolute_url())))
    expect(page.locator("#thread .note-body")).to_contain_text("Gandiva migrates jobs")

    page.get_by_role("link", name="Notes", exact=True).click()
    page.get_by_role("searchbox", name="Search").fill("migrates")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/notes/\?q=migrates"))
    expect(page.locator(".count")).to_have_text("1 note matches")
    _shot(page, shots, "notes-no-js")
    context.close()
