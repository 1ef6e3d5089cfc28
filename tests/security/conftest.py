"""Fixtures for the security tests: the payload lists, rows the database would refuse
today (as rows from before a constraint was added), and the notifications' clock,
group settings and local servers. Browser tests here drive Debian's Chromium, as in
tests/browser (whose launch arguments these repeat)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Model

# Shared with the notifications tests: a frozen clock, the group's settings, a chat
# server on loopback, and (autouse) the site's address and time zone for emails.
from tests.notifications.conftest import clock, group, site_url, webhook_server  # noqa: F401

PAYLOADS_DIR = Path(__file__).resolve().parent / "payloads"


def load_payloads(name: str, section: str | None = None) -> list[pytest.param]:
    """``payloads/<name>.json`` as pytest params named by each payload's name."""
    data = json.loads((PAYLOADS_DIR / f"{name}.json").read_text())
    if section is not None:
        data = data[section]
    return [pytest.param(p["value"], id=p["name"]) for p in data["payloads"]]


SCRIPT_LINKS = load_payloads("script_links")
WEB_LINKS_TO_ESCAPE = load_payloads("script_links", "web_links_to_escape")


@contextmanager
def constraints_off(model: type[Model], *names: str) -> Iterator[None]:
    """Let rows break ``model``'s named CHECK constraints, as rows stored before they
    existed do. Inside the test's transaction: PostgreSQL gets them back on rollback."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
            try:
                yield
            finally:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
            return
        # Deferred foreign-key checks queued by this transaction would block ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name in names:
            cursor.execute(f'ALTER TABLE "{model._meta.db_table}" DROP CONSTRAINT "{name}"')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [name for name, _ in attrs]
        self.hrefs += [value or "" for name, value in attrs if name in ("href", "src", "action")]


_C0_AND_SPACE = "".join(map(chr, range(0x21)))
# What a link on our pages may be: a web page, one of ours, an anchor, an email address.
_LIVE_OK = re.compile(r"(https?://|/|\?|#|mailto:)", re.IGNORECASE)


def assert_no_script_links(html: str) -> None:
    """Every href/src/action in ``html``, as the browser decodes it, is harmless, and no
    event-handler attribute was let in."""
    parser = _Links()
    parser.feed(html)
    for href in parser.hrefs:
        # Browsers drop tabs and newlines anywhere and spaces at the ends first.
        seen = re.sub(r"[\t\n\r]", "", href).strip(_C0_AND_SPACE)
        assert not seen or _LIVE_OK.match(seen), href
    assert not [a for a in parser.attributes if a.startswith("on")], parser.attributes


CHROMIUM = Path("/usr/bin/chromium")

# Playwright's sync API runs an event loop in the test thread; the live server and ORM
# calls from the test are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without Chromium, browser tests skip on a laptop but fail in CI."""
    if CHROMIUM.exists() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (apt-get install chromium)")
    for item in items:
        if item.get_closest_marker("browser") and "tests/security" in str(item.path):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }
