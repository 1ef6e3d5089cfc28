from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from papers import duplicates
from tests.factories import OrganizerFactory, PaperFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def catalogue(transactional_db) -> None:
    call_command("seed", stdout=io.StringIO())


def _log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/papers/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/papers/$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/papers/")


def test_live_search_filters_pushes_url_and_back_restores(
    page: Page, live_server, catalogue, screenshot_dir: Path
) -> None:
    UserFactory(username="mira")
    _log_in(page, live_server, "mira")
    expect(page.locator(".count")).to_have_text("319 papers")

    page.get_by_role("searchbox", name="Search").fill("vllm")
    expect(page.locator(".count")).to_have_text("1 paper matches")
    expect(page).to_have_url(f"{live_server.url}/papers/?q=vllm&sort=title")
    expect(page.locator(".paper-title")).to_have_text(
        "vLLM Efficient Memory Management for Large Language Model Serving with PagedAttention"
    )

    page.get_by_role("searchbox", name="Search").fill("")
    page.get_by_role("combobox", name="Venue").select_option("OSDI")
    expect(page).to_have_url(re.compile(r"\?venue=OSDI&sort=title$"))
    osdi_count = page.locator(".count").inner_text()
    assert re.fullmatch(r"\d+ papers match", osdi_count)
    assert all(v == "OSDI" for v in page.locator(".paper .venue").all_inner_texts())
    page.screenshot(path=str(screenshot_dir / "catalogue-filtered.png"))

    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/papers/?q=vllm&sort=title")
    expect(page.locator(".count")).to_have_text("1 paper matches")
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("vllm")


def test_paging_with_htmx_keeps_the_filter(page: Page, live_server, catalogue) -> None:
    UserFactory(username="mira")
    _log_in(page, live_server, "mira")
    page.get_by_role("combobox", name="Venue").select_option("arXiv")
    expect(page).to_have_url(re.compile(r"venue=arXiv"))
    page.get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(r"\?venue=arXiv&sort=title&page=2$"))
    expect(page.locator(".pagination span")).to_contain_text("Page 2 of")
    assert set(page.locator(".paper .venue").all_inner_texts()) == {"arXiv"}


def test_catalogue_works_without_javascript(
    browser: Browser, live_server, catalogue, screenshot_dir: Path
) -> None:
    UserFactory(username="mira")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _log_in(page, live_server, "mira")
    page.get_by_role("searchbox", name="Search").fill("vllm")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/papers/\?q=vllm"))
    expect(page.locator(".count")).to_have_text("1 paper matches")
    page.locator(".paper-title").click()
    expect(page.locator("h1")).to_have_text(
        "Efficient Memory Management for Large Language Model Serving with PagedAttention"
    )
    expect(page.locator(".sources li")).to_have_count(2)
    context.close()


def test_organizer_imports_a_list_after_preview_and_merges_a_duplicate(
    page: Page, live_server, catalogue, tmp_path: Path, screenshot_dir: Path
) -> None:
    OrganizerFactory(username="olga")
    _log_in(page, live_server, "olga")
    bib = tmp_path / "extra.bib"
    bib.write_text(
        "@article{gu2023mamba,\n  title={Mamba: Linear-time sequence modeling},\n"
        "  journal={arXiv preprint arXiv:2312.00752},\n  year={2023}\n}\n"
        "@inproceedings{kwon2023,\n  title={Efficient memory management for large language "
        "model serving with {PagedAttention}},\n  year={2023}\n}\n"
    )
    page.get_by_role("link", name="Import").click()
    page.get_by_label("Reading list file").set_input_files(str(bib))
    page.get_by_role("button", name="Preview import").click()
    expect(page.locator(".stat").first).to_have_text(re.compile(r"1\s+new paper"))
    expect(page.locator(".stat").nth(1)).to_have_text(re.compile(r"1\s+already in the catalogue"))
    page.screenshot(path=str(screenshot_dir / "import-preview.png"), full_page=True)
    page.get_by_role("button", name="Import 1 new paper").click()
    expect(page.locator(".message-success")).to_contain_text("extra.bib: 2 entries, 1 new papers")
    expect(page.locator(".count")).to_have_text("2 papers match")

    page.get_by_role("link", name="Duplicates").click()
    first = page.locator(".candidate").first
    title = first.locator(".pair-side .paper-title").first.inner_text()
    open_pairs = page.locator(".candidate").count()
    first.get_by_role("button", name="Merge, keep this title").first.click()
    expect(page.locator(".candidate.resolved")).to_contain_text("Merged into")
    assert title.split()[-1] in page.locator(".candidate.resolved").inner_text()
    page.reload()
    expect(page.locator(".candidate")).to_have_count(open_pairs - 1)


def test_duplicates_page_shows_a_background_search_and_its_pairs_when_done(
    page: Page, live_server, transactional_db
) -> None:
    OrganizerFactory(username="olga")
    PaperFactory(title="Punica: Multi-Tenant LoRA Serving")
    PaperFactory(
        title="Punica: Multi-Tenant LoRA Adapter Serving at Scale", duplicate_search_pending=True
    )
    _log_in(page, live_server, "olga")
    page.goto(f"{live_server.url}/papers/duplicates/")
    expect(page.get_by_role("status")).to_contain_text(
        "Looking for duplicates among 1 recently imported paper"
    )
    expect(page.locator(".candidate")).to_have_count(0)

    assert duplicates.search_pending() == 1  # what the worker does
    # The page polls while the search runs: the pair appears with no reload.
    expect(page.locator(".candidate")).to_have_count(1, timeout=10_000)
    expect(page.get_by_text("Looking for duplicates")).to_have_count(0)
    expect(page.locator(".candidate .paper-title")).to_have_text(
        ["Punica: Multi-Tenant LoRA Serving", "Punica: Multi-Tenant LoRA Adapter Serving at Scale"]
    )
