"""The Content-Security-Policy: strict on every HTML page, nothing inline to need it
loosened, slides keep their sandbox; in Chromium, no page breaks it (tests/csp_watch.py
fails any browser test whose pages log a violation)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from readinggroup.schedule import scheduling
from tests import csp_watch
from tests.factories import PaperFactory

from .site_map import ROLES, make_world, site_urls

TEMPLATES = Path(settings.BASE_DIR) / "templates"
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# Markup the policy would block: inline <script> and <style>, style attributes, event
# handler attributes, javascript: URLs.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=|javascript:", re.IGNORECASE
)


def policy(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_html_page_has_the_strict_policy_and_nothing_inline(role: str) -> None:
    world = make_world()
    client = world.client(role)
    pages = []
    # The digest email framed by its preview has a policy of its own (inline styles, no
    # script, framed by us only): tests/notifications/test_pages.py checks it.
    framed_email = reverse("notifications:digest_email")
    for url in [*site_urls(world), "/no-such-page/"]:
        response = client.get(url)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        if url.startswith(framed_email) and response.status_code == 200:
            continue
        assert policy(response["Content-Security-Policy"]) == POLICY, url
        if response.status_code == 200:
            assert INLINE.findall(response.content.decode()) == [], url
        pages.append(url)
    assert "/accounts/login/" in pages and "/no-such-page/" in pages
    if role != "anonymous":
        assert {"/", "/members/", "/papers/", "/notes/", "/sessions/"} <= set(pages)


def test_no_template_has_inline_script_style_or_handlers() -> None:
    offenders = {
        str(path.relative_to(TEMPLATES)): INLINE.findall(path.read_text())
        for path in TEMPLATES.rglob("*.html")
        if "emails" not in path.parts  # mail clients, not browsers on our origin
    }
    assert {name: found for name, found in offenders.items() if found} == {}


@pytest.mark.django_db
def test_error_pages_have_the_policy_too(settings) -> None:
    settings.ROOT_URLCONF = "tests.security.broken_urls"
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    assert policy(response["Content-Security-Policy"]) == POLICY


@pytest.mark.django_db
def test_slides_keep_their_sandbox_policy(settings, tmp_path, member, member_client) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    session = scheduling.create_session(
        by=member, starts_at=timezone.now() + timezone.timedelta(days=7), slot_count=1
    )
    slot = session.slots.get()
    scheduling.claim_slot(slot=slot, user=member, paper=PaperFactory())
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    upload = SimpleUploadedFile("talk.pdf", pdf, content_type="application/pdf")
    member_client.post(reverse("schedule:slot_slides_set", args=[slot.pk]), {"file": upload})
    response = member_client.get(reverse("schedule:slot_slides", args=[slot.pk]))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "sandbox"


# --- In Chromium ---------------------------------------------------------------------------

PAGES = [
    "/",
    "/papers/",
    "/papers/topics/",
    "/sessions/",
    "/notes/",
    "/members/",
    "/members/lockouts/",
    "/profile/",
    "/calendar/",
    "/notifications/",
    "/notifications/settings/",
    "/notifications/digest/preview/",
    "/papers/import/",
    "/papers/duplicates/",
    "/accounts/password_change/",
]


def _log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Fuzz Organizer")).to_be_visible()


@pytest.mark.browser
def test_pages_in_chromium_send_the_policy_and_break_none_of_it(
    page: Page, live_server, transactional_db
) -> None:
    world = make_world()
    _log_in(page, live_server, world.organizer.username)
    details = [f"/sessions/{world.ids['sessions/']}/", f"/papers/{world.ids['papers/']}/"]
    for path in [*PAGES, *details]:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        assert policy(response.headers["content-security-policy"]) == POLICY, path
    # htmx at work: a live search swaps the results under the same policy.
    page.goto(f"{live_server.url}/members/")
    page.get_by_label("Find a member").fill("fuzz")
    expect(page.locator(".member-count")).to_contain_text("match")
    # (tests/csp_watch.py asserts after the test that no page logged a violation.)


@pytest.mark.browser
def test_a_violation_would_be_caught(page: Page, live_server, transactional_db) -> None:
    """The watcher sees what the policy blocks: here an inline style set by script."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("true")  # let the console event arrive
    caught, csp_watch.VIOLATIONS[:] = list(csp_watch.VIOLATIONS), []
    assert len(caught) == 1 and "/accounts/login/: " in caught[0]
    assert "violates the following Content Security Policy directive" in caught[0]
