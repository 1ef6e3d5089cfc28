"""The sessions page keeps each rendered list in the cache until sessions, slots,
presenters or papers change, or the next session starts and moves to the past.

Committed for real (``transaction=True``): the cache follows commits.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from readinggroup import scheduling
from readinggroup.models import Session
from tests.factories import PaperFactory
from tests.html import without_csrf

pytestmark = pytest.mark.django_db(transaction=True)

LIST = reverse("session_list")


def lists(client: Client, **params) -> tuple[list[str], list[str]]:
    """The titles in the upcoming and the past list."""
    html = client.get(LIST, params).content.decode()
    upcoming, _, past = html.partition('id="past-sessions"')
    titles = re.compile(r"</a> · ([^<]+)</h3>")
    return titles.findall(upcoming), titles.findall(past)


def create(organizer, title: str, when: dt.datetime, slots: int = 1) -> Session:
    return scheduling.create_session(by=organizer, starts_at=when, slot_count=slots, title=title)


def test_sessions_page_again_is_two_cached_lists(
    member_client, organizer, django_assert_num_queries
):
    create(organizer, "Ahead", timezone.now() + dt.timedelta(days=2))
    create(organizer, "Behind", timezone.now() - dt.timedelta(days=2))
    first = without_csrf(member_client.get(LIST).content.decode())
    with django_assert_num_queries(3):  # session, user, the data generations
        again = without_csrf(member_client.get(LIST).content.decode())
    assert again == first
    assert lists(member_client) == (["Ahead"], ["Behind"])


def test_session_moves_to_the_past_list_when_it_starts(member_client, organizer):
    now = timezone.now()
    create(organizer, "Starting soon", now + dt.timedelta(minutes=2))
    with time_machine.travel(now, tick=False):
        assert lists(member_client) == (["Starting soon"], [])
    with time_machine.travel(now + dt.timedelta(minutes=3), tick=False):
        assert lists(member_client) == ([], ["Starting soon"])


def test_claim_shows_on_the_cached_list(member_client, organizer, member):
    session = create(organizer, "Ahead", timezone.now() + dt.timedelta(days=2))
    assert "Slot 1 open" in member_client.get(LIST).content.decode()
    paper = PaperFactory(title="Dynamo")
    member_client.post(reverse("slot_claim", args=[session.slots.get().pk]), {"paper": paper.pk})
    html = member_client.get(LIST).content.decode()
    assert "<strong>Mira Member</strong>: Dynamo" in html and "Slot 1 open" not in html


def test_new_edited_and_cancelled_sessions_show_at_once(member_client, organizer):
    session = create(organizer, "First title", timezone.now() + dt.timedelta(days=2))
    assert lists(member_client) == (["First title"], [])
    create(organizer, "Second", timezone.now() + dt.timedelta(days=3))
    Session.objects.filter(pk=session.pk).update(title="Renamed")
    assert lists(member_client) == (["Renamed", "Second"], [])
    scheduling.cancel_session(session=session)
    assert '<span class="badge bad">cancelled</span>' in member_client.get(LIST).content.decode()


def test_organizer_and_member_lists_are_kept_apart(member_client, organizer_client):
    member_html = member_client.get(LIST).content.decode()
    organizer_html = organizer_client.get(LIST).content.decode()
    assert "Schedule a series" not in member_html
    assert "Schedule a series" in organizer_html


def test_each_page_of_a_list_is_kept_apart(member_client, organizer):
    for i in range(25):
        create(organizer, f"Past {i + 1}", timezone.now() - dt.timedelta(days=i + 1))
    assert len(lists(member_client)[1]) == 20
    assert lists(member_client, past="2")[1] == [f"Past {i}" for i in range(21, 26)]
    assert len(lists(member_client)[1]) == 20
