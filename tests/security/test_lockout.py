"""Login lockouts (django-axes): after N wrong passwords for one username from one client
address, that pair may not log in for the cool-off, on the login page and the admin login
alike; the person sees until when; organizers see and lift lockouts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from readinggroup.clients import client_address
from readinggroup.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT
COOL_OFF = settings.AXES_COOLOFF_TIME
PASSWORD = "correct horse battery staple"  # the factories' password
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # 09:00 in London (GMT)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ada(db) -> User:
    return UserFactory(username="ada", display_name="Ada Lovelace")


def log_in(client: Client, username: str, password: str, *, url: str = LOGIN, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, username: str, times: int, **extra) -> None:
    for _ in range(times):
        log_in(client, username, "wrong password", **extra)


# --- The lockout -----------------------------------------------------------------------


def test_login_locks_out_after_the_failure_limit_and_says_when_to_try_again(
    client: Client, ada, clock
) -> None:
    for _ in range(LIMIT - 1):
        page = log_in(client, "ada", "wrong password")
        assert page.status_code == 200
        assert "Your username and password didn't match" in page.content.decode()
    locked = log_in(client, "ada", "wrong password")
    html = locked.content.decode()
    assert locked.status_code == 429
    assert "Too many failed logins" in html
    assert "You can try again at 09:15 on Mon 2 Mar</strong> (Europe/London time)" in html
    # Even the right password is refused until then.
    again = log_in(client, "ada", PASSWORD)
    assert again.status_code == 429 and "Too many failed logins" in again.content.decode()
    assert not logged_in(client)


def test_lockout_ends_after_the_cool_off(client: Client, ada, clock) -> None:
    fail(client, "ada", LIMIT)
    clock.shift(COOL_OFF - dt.timedelta(seconds=1))
    assert log_in(client, "ada", PASSWORD).status_code == 429
    clock.shift(dt.timedelta(seconds=2))
    assert log_in(client, "ada", PASSWORD).status_code == 302
    assert logged_in(client)


def test_trying_while_locked_out_does_not_move_the_time_on(client: Client, ada, clock) -> None:
    fail(client, "ada", LIMIT)
    clock.shift(dt.timedelta(minutes=10))
    later = log_in(client, "ada", "wrong again")
    assert "You can try again at 09:15" in later.content.decode()
    clock.shift(COOL_OFF - dt.timedelta(minutes=10) + dt.timedelta(seconds=1))
    assert log_in(client, "ada", PASSWORD).status_code == 302


def test_admin_login_locks_out_too(client: Client, clock) -> None:
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(LIMIT - 1):
        assert log_in(client, "root", "wrong", url=ADMIN_LOGIN).status_code == 200
    locked = log_in(client, "root", "wrong", url=ADMIN_LOGIN)
    assert locked.status_code == 429 and "Too many failed logins" in locked.content.decode()
    assert log_in(client, "root", PASSWORD, url=ADMIN_LOGIN).status_code == 429
    assert not logged_in(client)


def test_lockout_holds_only_that_username_from_that_address(client: Client, ada, clock) -> None:
    UserFactory(username="bob")
    fail(client, "ada", LIMIT)
    # Another address can still log in as ada; this address as someone else.
    elsewhere = Client(REMOTE_ADDR="192.0.2.44")
    assert log_in(elsewhere, "ada", PASSWORD).status_code == 302
    assert log_in(Client(), "bob", PASSWORD).status_code == 302


def test_a_successful_login_forgets_earlier_failures(client: Client, ada, clock) -> None:
    fail(client, "ada", LIMIT - 1)
    assert log_in(client, "ada", PASSWORD).status_code == 302
    client.logout()
    fail(client, "ada", LIMIT - 1)
    assert log_in(client, "ada", PASSWORD).status_code == 302


def test_test_client_login_goes_through_the_lockout_too(ada, clock) -> None:
    fail(Client(), "ada", LIMIT)
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    assert not Client().login(request=request, username="ada", password=PASSWORD)


def test_overlong_or_nul_username_is_a_failed_login_not_a_server_error(client: Client) -> None:
    # Django's login form does not limit a username's length: axes records it cut to its
    # column (PostgreSQL refused the whole of it).
    for url in (LOGIN, ADMIN_LOGIN):
        for username in ("a" * 10_000, "ada\x00"):
            page = log_in(client, username, "x", url=url)
            assert page.status_code == 200  # the form again, with its error
            assert 'name="password"' in page.content.decode() and not logged_in(client)
    assert AccessAttempt.objects.get().username == "a" * 255


# --- Behind a reverse proxy -------------------------------------------------------------


def _request(remote: str, forwarded: str | None = None) -> HttpRequest:
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def test_client_address_without_proxy_is_the_connection(settings) -> None:
    settings.READINGGROUP_PROXY_COUNT = 0
    assert client_address(_request("192.0.2.1", "203.0.113.9")) == "192.0.2.1"


def test_client_address_behind_one_proxy_is_what_it_saw(settings) -> None:
    settings.READINGGROUP_PROXY_COUNT = 1
    assert client_address(_request("127.0.0.1", "203.0.113.9")) == "203.0.113.9"
    # What the client wrote itself (left of the proxy's entry) is ignored.
    assert client_address(_request("127.0.0.1", "1.1.1.1, 203.0.113.9")) == "203.0.113.9"
    # No header, or garbage in the proxy's place: the connection's address.
    assert client_address(_request("127.0.0.1")) == "127.0.0.1"
    assert client_address(_request("127.0.0.1", "1.1.1.1, not-an-ip")) == "127.0.0.1"


def test_lockout_behind_a_proxy_counts_the_client_not_forged_entries(
    settings, client: Client, ada, clock
) -> None:
    settings.READINGGROUP_PROXY_COUNT = 1
    for n in range(LIMIT):  # a new forged entry each time changes nothing
        log_in(client, "ada", "wrong", headers={"x-forwarded-for": f"10.9.9.{n}, 203.0.113.9"})
    forged = log_in(client, "ada", PASSWORD, headers={"x-forwarded-for": "8.8.8.8, 203.0.113.9"})
    assert forged.status_code == 429
    other = log_in(Client(), "ada", PASSWORD, headers={"x-forwarded-for": "203.0.113.10"})
    assert other.status_code == 302
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"


# --- The organizers' page --------------------------------------------------------------

LOCKOUTS = "/members/lockouts/"


@pytest.fixture
def locked_ada(ada, clock) -> AccessAttempt:
    fail(Client(), "ada", LIMIT)
    return AccessAttempt.objects.get(username="ada")


def _lift_url(attempt: AccessAttempt) -> str:
    return reverse("members:lockout_lift", args=[attempt.pk])


def test_organizer_sees_who_is_locked_out_until_when(organizer_client, locked_ada) -> None:
    fail(Client(), "nobody-by-this-name", 2)
    html = organizer_client.get(LOCKOUTS).content.decode()
    row = re.search(rf'<tr id="lockout-{locked_ada.pk}">.*?</tr>', html, re.DOTALL).group(0)
    assert ">ada</a>" in row and "Ada Lovelace" in row
    assert "<code>127.0.0.1</code>" in row and f"<td>{LIMIT}</td>" in row
    assert "locked until 09:15" in row and "Lift the lockout" in row
    other = re.search(r"<tr[^>]*>(?:(?!</tr>).)*nobody-by-this-name.*?</tr>", html, re.DOTALL)
    assert "(no such member)" in other.group(0) and "not locked" in other.group(0)
    assert "Lift the lockout" not in other.group(0)


def test_organizer_lifts_a_lockout_and_the_member_logs_in(
    organizer_client, locked_ada, client: Client
) -> None:
    done = organizer_client.post(_lift_url(locked_ada), follow=True)
    assert "ada can log in again from 127.0.0.1." in done.content.decode()
    assert "No failed logins in the last 15 minutes" in done.content.decode()
    assert log_in(client, "ada", PASSWORD).status_code == 302


def test_members_page_links_organizers_to_lockouts(organizer_client, member_client) -> None:
    assert f'href="{LOCKOUTS}"' in organizer_client.get("/members/").content.decode()
    assert f'href="{LOCKOUTS}"' not in member_client.get("/members/").content.decode()


def test_member_can_neither_see_nor_lift_lockouts(member_client, locked_ada) -> None:
    page = member_client.get(LOCKOUTS)
    assert page.status_code == 403 and "Only organizers can do this." in page.content.decode()
    lift = member_client.post(_lift_url(locked_ada))
    assert lift.status_code == 403
    assert AccessAttempt.objects.filter(pk=locked_ada.pk).exists()


def test_anonymous_visitor_is_sent_to_log_in(client: Client, locked_ada) -> None:
    page = client.get(LOCKOUTS)
    assert page.status_code == 302 and page["Location"].startswith(f"{LOGIN}?next=")
    lift = client.post(_lift_url(locked_ada))
    assert lift.status_code == 302 and lift["Location"].startswith(f"{LOGIN}?next=")
    assert AccessAttempt.objects.filter(pk=locked_ada.pk).exists()


def test_lifting_needs_a_post_with_the_csrf_token(organizer, locked_ada) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(organizer)
    assert client.get(_lift_url(locked_ada)).status_code == 405
    assert client.post(_lift_url(locked_ada)).status_code == 403
    assert AccessAttempt.objects.filter(pk=locked_ada.pk).exists()


def test_lifting_an_unknown_lockout_is_not_found(organizer_client) -> None:
    assert organizer_client.post(reverse("members:lockout_lift", args=[999])).status_code == 404


def test_lockouts_page_lists_only_recent_failures(organizer_client, locked_ada, clock) -> None:
    clock.shift(COOL_OFF + dt.timedelta(minutes=1))
    html = organizer_client.get(LOCKOUTS).content.decode()
    assert "nobody is locked out" in html and "lockout-" not in html
    assert timezone.now() > locked_ada.attempt_time + COOL_OFF
