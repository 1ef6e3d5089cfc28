"""The feed is built once and served from the cache until what it shows changes.

Committed for real (``transaction=True``): the cache follows commits.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from papers.models import Paper
from readinggroup import scheduling
from readinggroup.ical import tokens
from readinggroup.models import Session, User
from tests.ical.conftest import events

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def feed_url(member: User, upcoming_session: Session) -> str:
    return reverse("ical:feed", args=[tokens.create_token(user=member)])


def description(client: Client, url: str) -> str:
    return str(events(client.get(url).content)["Systems week"]["description"])


def test_feed_fetched_again_is_the_same_calendar_for_two_queries(
    client, feed_url, django_assert_num_queries
):
    first = client.get(feed_url)
    with django_assert_num_queries(2):  # the token's member, the data generations
        again = client.get(feed_url)
    assert again.content == first.content
    assert b"X-PUBLISHED-TTL:PT1H" in again.content  # and no copy outlives that hour
    assert "1. Mira Member: Attention Is All You Need" in again.content.decode()


def test_feed_shows_a_claim_made_after_it_was_cached(
    client, feed_url, other_member, upcoming_session
):
    assert "2. Open slot" in description(client, feed_url)
    claimer = Client()
    claimer.force_login(other_member)
    slot = upcoming_session.slots.get(position=2)
    paper = Paper.objects.create(title="Dynamo", title_key="dynamo")

    claimer.post(reverse("slot_claim", args=[slot.pk]), {"paper": paper.pk})

    assert "2. Otto Other: Dynamo" in description(client, feed_url)


def test_feed_shows_a_renamed_presenter_and_paper(client, feed_url, member):
    description(client, feed_url)
    User.objects.filter(pk=member.pk).update(display_name="Mira Renamed")
    assert "1. Mira Renamed: Attention Is All You Need" in description(client, feed_url)
    Paper.objects.filter(title="Attention Is All You Need").update(title="Attention, revised")
    assert "1. Mira Renamed: Attention, revised" in description(client, feed_url)


def test_feed_shows_a_cancellation_at_once(client, feed_url, upcoming_session):
    assert str(events(client.get(feed_url).content)["Systems week"]["status"]) == "CONFIRMED"
    scheduling.cancel_session(session=upcoming_session)
    event = events(client.get(feed_url).content)["Systems week"]
    assert str(event["status"]) == "CANCELLED"


def test_feed_with_and_without_alarm_are_kept_apart(client, feed_url):
    plain = client.get(feed_url).content
    with_alarm = client.get(feed_url, {"alarm": "30"}).content
    assert b"BEGIN:VALARM" not in plain
    assert b"TRIGGER:-PT30M" in with_alarm
    assert client.get(feed_url).content == plain


def test_revoked_feed_url_is_refused_even_while_the_feed_is_cached(client, feed_url, member):
    assert b"BEGIN:VCALENDAR" in client.get(feed_url).content
    tokens.revoke_token(user=member)
    refused = client.get(feed_url)
    assert refused.status_code == 404 and b"BEGIN:VCALENDAR" not in refused.content
