"""What responses say about themselves: no caching of personal pages, no server banner,
a calm 503 while the database is down, and a health check that says what is down."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from readinggroup.ical.tokens import create_token
from tests.integration.harness import use_broker

from .live import free_port, get, gunicorn, production_env
from .site_map import make_world, site_urls

# --- Cache-Control -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["member", "organizer"])
def test_every_logged_in_page_is_private_and_not_stored(role: str) -> None:
    world = make_world()
    client = world.client(role)
    checked = []
    for url in site_urls(world):
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, url
        checked.append(url)
    assert "/members/" in checked and "/profile/" in checked and "/" in checked


@pytest.mark.django_db
def test_feeds_and_pages_that_set_their_own_caching_keep_it(member) -> None:
    feed = Client().get(f"/calendar/{create_token(user=member)}.ics")
    assert feed["Cache-Control"] == "private, no-cache"


def test_login_page_is_not_stored(client: Client, db) -> None:
    assert "no-store" in client.get("/accounts/login/")["Cache-Control"]


# --- No server banner (a real gunicorn) ---------------------------------------------------


@pytest.fixture
def production(tmp_path: Path) -> dict[str, str]:
    return production_env(tmp_path / "var")


def test_gunicorn_with_our_config_sends_no_server_header(production, tmp_path: Path) -> None:
    with gunicorn(production, tmp_path / "gunicorn.log", workers=1) as port:
        response = get(port, "/accounts/login/")
    assert response.status == 200 and b"Log in" in response.body
    assert response.getheader("Server") is None
    assert "default-src 'self'" in response.getheader("Content-Security-Policy", "")


def test_gunicorn_without_our_config_announces_itself(production, tmp_path: Path) -> None:
    """The check above can fail: plain gunicorn sends the header it removes."""
    with gunicorn(production, tmp_path / "gunicorn.log", workers=1, config=False) as port:
        assert get(port, "/healthz").getheader("Server") == "gunicorn"


# --- The database is down ------------------------------------------------------------------


@pytest.fixture
def database_down(transactional_db) -> Iterator[Callable[[], None]]:
    """Call it to make the database unreachable for real: the driver is pointed at a file
    it cannot open (SQLite) or a port where nothing listens (PostgreSQL)."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)

    def down() -> None:
        connection.close()
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = "/nonexistent/readinggroup/db.sqlite3"
        else:
            connection.settings_dict["PORT"] = str(free_port())

    try:
        yield down
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def _is_the_503_page(response) -> bool:
    html = response.content.decode()
    return (
        response.status_code == 503
        and "<h1>The database is restarting; try again in a moment</h1>" in html
        and 'href="/static/css/app.css"' in html
        and response["Retry-After"] == "5"
    )


def test_page_while_the_database_is_down_is_the_503_page(database_down, member) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(member)
    database_down()
    # The session and the user are loaded in middleware, before any view runs.
    assert _is_the_503_page(client.get("/members/"))


def test_view_query_while_the_database_is_down_is_the_503_page(database_down, member) -> None:
    token = create_token(user=member)
    database_down()
    # No session: the feed's own lookup is the first query.
    assert _is_the_503_page(Client(raise_request_exception=False).get(f"/calendar/{token}.ics"))


def test_other_errors_are_still_the_500_page(settings, db) -> None:
    settings.ROOT_URLCONF = "tests.security.broken_urls"
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.content.decode()


# --- /healthz --------------------------------------------------------------------------------


def test_healthz_answers_without_the_database(database_down) -> None:
    database_down()
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_deep_healthz_says_both_answer(transactional_db) -> None:
    response = Client().get("/healthz?deep=1")
    assert response.status_code == 200
    assert json.loads(response.content) == {"database": "ok", "broker": "ok"}


def test_deep_healthz_says_the_database_does_not_answer(database_down) -> None:
    database_down()
    response = Client(raise_request_exception=False).get("/healthz?deep=1")
    assert response.status_code == 503
    assert json.loads(response.content) == {"database": "down", "broker": "ok"}


def test_deep_healthz_says_the_broker_does_not_answer(transactional_db) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    with use_broker(closed, settings.REDIS_BROKER_TRANSPORT_OPTIONS):
        response = Client().get("/healthz?deep=1")
    assert response.status_code == 503
    assert json.loads(response.content) == {"database": "ok", "broker": "down"}


def test_persistent_connections_are_checked_before_use() -> None:
    database = settings.DATABASES["default"]
    assert database["CONN_HEALTH_CHECKS"] is True
    if database["ENGINE"] == "django.db.backends.postgresql":
        assert database["CONN_MAX_AGE"] == 60
