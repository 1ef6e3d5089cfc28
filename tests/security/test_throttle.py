"""Throttles on the emails anyone can make the site send: password resets (anyone, any
address) and invites and set-password links (organizers), per address and per client."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readinggroup.models import EmailKind, Invite, OutboxMessage, ThrottledEmail, User
from readinggroup.throttle import LIMITS, WINDOW
from tests.factories import UserFactory
from tests.html import without_csrf

pytestmark = pytest.mark.django_db

RESET = "/accounts/password_reset/"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # 09:00 in London (GMT)
HTMX = {"HX-Request": "true"}
SAVEPOINT = re.compile(r'SAVEPOINT "\w+"')
PER_ADDRESS = LIMITS[EmailKind.PASSWORD_RESET].per_address
PER_CLIENT = LIMITS[EmailKind.PASSWORD_RESET].per_client


@pytest.fixture(autouse=True)
def site_url(settings) -> None:
    settings.READINGGROUP_SITE_URL = "https://reading.example.org"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def ask_reset(client: Client, email: str):
    return client.post(RESET, {"email": email})


def queued_resets() -> list[str]:
    return [
        m.kwargs["email"]
        for m in OutboxMessage.objects.filter(task_name="members.send_password_reset")
    ]


# --- Password resets ----------------------------------------------------------------------


def test_password_reset_refused_after_the_limit_for_one_address(client, member, clock) -> None:
    for _ in range(PER_ADDRESS):
        assert ask_reset(client, member.email).status_code == 302
    clock.shift(dt.timedelta(minutes=20))
    refused = ask_reset(client, member.email)
    html = refused.content.decode()
    assert refused.status_code == 200
    assert (
        "Too many password reset emails were asked for this address in the last hour. "
        "Try again after 10:00." in html
    )
    assert queued_resets() == [member.email] * PER_ADDRESS


def test_password_reset_for_one_address_counts_any_spelling(client, member, clock) -> None:
    for _ in range(PER_ADDRESS):
        ask_reset(client, member.email.upper())
    assert ask_reset(client, member.email).status_code == 200
    assert ThrottledEmail.objects.filter(address=member.email).count() == PER_ADDRESS


def test_password_reset_allowed_again_an_hour_later(client, member, clock) -> None:
    for _ in range(PER_ADDRESS):
        ask_reset(client, member.email)
    clock.shift(WINDOW + dt.timedelta(seconds=1))
    assert ask_reset(client, member.email).status_code == 302
    # Rows out of the window are pruned as new ones come.
    assert ThrottledEmail.objects.count() == 1


def test_password_reset_refused_after_the_limit_from_one_client(client, clock) -> None:
    for n in range(PER_CLIENT):
        assert ask_reset(client, f"someone{n}@example.org").status_code == 302
    refused = ask_reset(client, "one-more@example.org")
    assert "were asked from your network in the last hour" in refused.content.decode()
    # Another client is not held back.
    assert ask_reset(Client(REMOTE_ADDR="192.0.2.7"), "one-more@example.org").status_code == 302


def test_password_reset_throttle_treats_unknown_addresses_as_known(client, member, clock):
    """A refusal must not tell whether an account uses the address."""
    answers = {}
    for email in (member.email, "nobody@example.org"):
        for _ in range(PER_ADDRESS):
            ask_reset(client, email)
        answers[email] = without_csrf(ask_reset(client, email).content.decode()).replace(email, "…")
    assert answers[member.email] == answers["nobody@example.org"]
    assert "Too many password reset emails" in answers[member.email]


def test_password_reset_runs_the_same_queries_for_known_and_unknown_addresses(
    client, member, clock
) -> None:
    """The same work for both, so the same time: the lookup happens in the worker."""
    statements = {}
    for email in (member.email, "nobody@example.org"):
        client.get(RESET)  # the session and CSRF cookie, as a browser has them
        with CaptureQueriesContext(connection) as queries:
            ask_reset(client, email)
        statements[email] = [
            SAVEPOINT.sub("SAVEPOINT", q["sql"]).replace(email, "…") for q in queries
        ]
    assert statements[member.email] == statements["nobody@example.org"]
    assert not any("readinggroup_user" in sql for sql in statements[member.email])
    assert mail.outbox == []


# --- Invites and set-password links ---------------------------------------------------------


def invite(client: Client, email: str):
    data = {"role": "member", "email": email, "days": 7}
    return client.post(reverse("members:invite_create"), data, headers=HTMX)


def test_invites_to_one_address_refused_after_the_limit(organizer_client, clock) -> None:
    limit = LIMITS[EmailKind.INVITE].per_address
    for _ in range(limit):
        assert "Invite created and emailed" in invite(organizer_client, "ada@example.org").text
    refused = invite(organizer_client, "ADA@example.org").content.decode()
    assert "Too many invite or set-password link emails were asked for this address" in refused
    assert Invite.objects.count() == limit and len(mail.outbox) == limit
    # An invite without an address sends nothing and is never throttled.
    assert "Copy the link now" in invite(organizer_client, "").content.decode()


def test_set_password_links_share_the_invite_limit(organizer_client, clock) -> None:
    pending = UserFactory(username="ada", email="ada@example.org")
    pending.set_unusable_password()
    pending.save()
    limit = LIMITS[EmailKind.INVITE].per_address
    for _ in range(limit - 1):
        invite(organizer_client, "ada@example.org")
    url = reverse("members:password_link_send", args=[pending.pk])
    assert "We emailed ada@example.org" in organizer_client.post(url, headers=HTMX).text
    refused = organizer_client.post(url, headers=HTMX).content.decode()
    assert "Too many invite or set-password link emails" in refused
    assert len(mail.outbox) == limit


def test_new_account_refused_when_its_address_had_too_many_emails(organizer_client, clock):
    for _ in range(LIMITS[EmailKind.INVITE].per_address):
        invite(organizer_client, "grace@example.org")
    data = {"username": "grace", "display_name": "Grace", "email": "grace@example.org"}
    data["role"] = "member"
    page = organizer_client.post(reverse("members:account_create"), data, headers=HTMX)
    assert "Too many invite or set-password link emails" in page.content.decode()
    assert not User.objects.filter(username="grace").exists()


def test_invite_to_an_overlong_address_is_a_form_error(organizer_client) -> None:
    """EmailValidator takes up to 320 characters; the column holds 254."""
    address = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".org"
    page = invite(organizer_client, address).content.decode()
    assert "Ensure this value has at most 254 characters" in page
    assert not Invite.objects.exists() and not ThrottledEmail.objects.exists()
