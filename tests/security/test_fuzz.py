"""Hostile query strings on every GET view, as every role: never a server error.

Each URL of the URLconf (tests/security/site_map.py) is asked once plainly; those that
answer GET are then sent every value of payloads/query_values.txt in every parameter of
payloads/query_names.txt, each key twice, as an anonymous visitor, a member and an
organizer (and the admin's pages as a superuser). Run on SQLite and on PostgreSQL,
which refuses a NUL in text where SQLite takes it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from tests.factories import UserFactory

from .site_map import ROLES, World, make_world, site_urls

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).parent / "payloads"
# The admin's pages behave alike for everyone but staff (a redirect to its login):
# these stand for all of them, and a superuser is sent through every changelist.
ADMIN_SAMPLES = ("/admin/", "/admin/login/", "/admin/readinggroup/user/")


def _lines(name: str) -> list[str]:
    text = (PAYLOADS / name).read_text()
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def query_values() -> list[str]:
    values = []
    for line in _lines("query_values.txt"):
        if line == "EMPTY":
            values.append("")
        elif line.startswith("REPEAT "):
            _, count, value = line.split(" ", 2)
            values.append(value * int(count))
        else:
            values.append(line)
    return values


NAMES = _lines("query_names.txt")
VALUES = query_values()


def _query(value: str) -> str:
    return "&".join(f"{name}={value}&{name}={value}" for name in NAMES)


def _get_views(client: Client, urls: list[str]) -> list[str]:
    """The URLs that answer GET for this client (POST-only views say 405)."""
    return [url for url in urls if client.get(url).status_code != 405]


def _server_errors(client: Client, urls: list[str]) -> list[str]:
    errors = []
    for url in urls:
        for value in VALUES:
            response = client.get(f"{url}?{_query(value)}")
            if response.status_code >= 500:
                errors.append(f"{response.status_code} {url} ?…={value[:40]!r}")
    return errors


@pytest.fixture
def world() -> World:
    return make_world()


def _urls(world: World) -> list[str]:
    return [u for u in site_urls(world) if not u.startswith("/admin/")] + list(ADMIN_SAMPLES)


@pytest.mark.parametrize("role", ROLES)
def test_fuzzed_query_strings_never_give_a_server_error(world: World, role: str) -> None:
    client = world.client(role)
    views = _get_views(client, _urls(world))
    assert len(views) > 20  # the walk found the site's pages
    assert _server_errors(client, views) == []


def test_fuzzed_query_strings_on_the_admin_never_give_a_server_error(world: World) -> None:
    superuser = UserFactory(username="fuzz-root", is_staff=True, is_superuser=True)
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    changelists = [
        url
        for url in site_urls(world)
        if url.startswith("/admin/") and url.count("/") == 4 and not url.endswith("/1/")
    ]
    assert "/admin/papers/paper/" in changelists
    assert _server_errors(client, _get_views(client, changelists)) == []


@pytest.mark.parametrize("role", ["member", "organizer"])  # a visitor is sent to log in
def test_thousands_of_repeated_keys_are_refused_not_a_server_error(world: World, role) -> None:
    client = world.client(role)
    response = client.get("/members/?" + "&".join(["q=a"] * 1500))
    assert response.status_code == 400  # Django's DATA_UPLOAD_MAX_NUMBER_FIELDS


def test_members_search_with_nul_says_why_it_was_ignored(world: World) -> None:
    html = world.client("member").get("/members/?q=ann%00").content.decode()
    assert "Search ignored: Searches cannot contain control characters" in html
    assert "Fuzz Member" in html  # the page shows everyone, unfiltered


def test_catalogue_search_with_control_characters_says_why_it_was_ignored(world: World) -> None:
    html = world.client("member").get("/papers/?q=serv%0D%0Aing").content.decode()
    assert "Search ignored: Searches cannot contain control characters" in html


def test_notes_search_with_nul_says_why_it_was_ignored(world: World) -> None:
    html = world.client("member").get("/notes/?q=%00").content.decode()
    assert "Search ignored: Searches cannot contain control characters" in html
    assert "A note <em>with</em> Markdown." in html
