"""The dashboard's charts are computed once and served from the cache until what they
count changes or the clock moves past a session's start or midnight.

Committed for real (``transaction=True``): the cache follows commits.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from readinggroup.dashboard import stats
from readinggroup.models import Unavailability, User, WantToRead
from tests.dashboard.conftest import held_session, new_session, present
from tests.factories import ListingFactory, TopicFactory, UserFactory
from tests.html import without_csrf

pytestmark = pytest.mark.django_db(transaction=True)


def section(client: Client, section_id: str) -> str:
    html = client.get(reverse("home")).content.decode()
    start = html.index(f'id="{section_id}"')
    return html[start : html.index("</section>", start)]


def charts(client: Client) -> str:
    return section(client, "group-stats")


def load_chart(client: Client) -> str:
    section = charts(client)
    return section[section.index('id="chart-presentation-load"') :]


def test_dashboard_again_takes_the_groups_sections_from_the_cache(
    member_client, busy_group, django_assert_num_queries
):
    busy_group(2)
    first = without_csrf(member_client.get(reverse("home")).content.decode())
    # Login session and user, the data generations: every section is the cache's.
    with django_assert_num_queries(3):
        again = without_csrf(member_client.get(reverse("home")).content.decode())
    assert again == first
    assert "(you too)" in again  # my own mark on a cached list


def test_most_wanted_follows_a_new_mark_and_each_members_own(member_client, member, other_member):
    paper = ListingFactory().paper
    WantToRead.objects.create(user=other_member, paper=paper)
    wanted = section(member_client, "most-wanted")
    pill = '<span class="count-pill" title="members who want to read it">'
    assert f"{paper.title}</a> {pill}1 want</span></li>" in wanted
    WantToRead.objects.create(user=member, paper=paper)
    wanted = section(member_client, "most-wanted")
    assert '2 wants</span> <span class="muted small">(you too)</span>' in wanted


def test_next_session_card_follows_a_claim_and_then_the_clock(
    member_client, organizer, member, other_member
):
    now = timezone.now()
    first = new_session(organizer, now + dt.timedelta(minutes=2), title="First week")
    new_session(organizer, now + dt.timedelta(days=7), title="Second week")
    with time_machine.travel(now, tick=False):
        assert "First week" in section(member_client, "next-session")
        present(first.slots.get(position=1), other_member)
        assert "<strong>Otto Other</strong> presents" in section(member_client, "next-session")
    with time_machine.travel(now + dt.timedelta(minutes=3), tick=False):
        assert "Second week" in section(member_client, "next-session")


def test_load_chart_shows_a_presentation_held_after_it_was_cached(
    member_client, organizer, member, other_member
):
    held_session(organizer, 6, [member])
    assert "1 presentations in sessions held, shared among 1 of" in load_chart(member_client)
    held_session(organizer, 2, [other_member])
    assert "2 presentations in sessions held, shared among 2 of" in load_chart(member_client)


# Both move the clock by less than READINGGROUP_CACHE_SECONDS, so only the charts' own
# validity can make them stale.


def test_load_chart_counts_a_session_once_it_has_started(member_client, organizer, member):
    now = timezone.now()
    session = new_session(organizer, now + dt.timedelta(minutes=2), slots=1)
    present(session.slots.get(), member)
    with time_machine.travel(now, tick=False):
        assert "0 presentations in sessions held" in load_chart(member_client)
    with time_machine.travel(now + dt.timedelta(minutes=3), tick=False):
        assert "1 presentations in sessions held" in load_chart(member_client)


def test_load_chart_term_moves_at_midnight(member_client):
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    with time_machine.travel(midnight - dt.timedelta(minutes=2), tick=False):
        yesterday = stats._day(timezone.localdate())
        assert f"to {yesterday}" in load_chart(member_client)
    with time_machine.travel(midnight + dt.timedelta(minutes=1), tick=False):
        today = stats._day(timezone.localdate())
        assert f"to {today}" in load_chart(member_client)


def test_each_member_has_their_own_load_chart(organizer, member, other_member):
    busy = [UserFactory(display_name=f"Busy {i:02d}") for i in range(stats.TOP_MEMBERS)]
    for days_ago in (20, 13):
        for first in range(0, len(busy), 5):
            held_session(organizer, days_ago + first / 10, busy[first : first + 5])
    held_session(organizer, 6, [member])
    held_session(organizer, 5, [other_member])
    clients = {}
    for user in (member, other_member):
        clients[user.pk] = Client()
        clients[user.pk].force_login(user)

    mine = load_chart(clients[member.pk])
    theirs = load_chart(clients[other_member.pk])

    assert "Mira Member" in mine and "Otto Other" not in mine
    assert "Otto Other" in theirs and "Mira Member" not in theirs


def test_topic_coverage_shows_a_topic_imported_after_it_was_cached(member_client):
    ListingFactory(topic=TopicFactory(name="Schedulers"))
    assert "Schedulers" in charts(member_client)
    ListingFactory(topic=TopicFactory(name="Compilers"))
    assert "Compilers" in charts(member_client)


def test_renamed_member_shows_in_the_cached_load_chart(member_client, organizer, member):
    held_session(organizer, 6, [member])
    assert "Mira Member" in load_chart(member_client)
    User.objects.filter(pk=member.pk).update(display_name="Mira Renamed")
    assert "Mira Renamed" in load_chart(member_client)


def test_my_duties_follow_an_assignment_and_my_open_slots_my_unavailability(
    member_client, organizer, member
):
    when = timezone.now() + dt.timedelta(days=3)
    session = new_session(organizer, when, slots=2, title="Systems week")
    assert "Nothing to present or write up." in section(member_client, "my-duties")
    assert "Systems week" in section(member_client, "open-slots")

    present(session.slots.get(position=1), member)
    assert "you present" in section(member_client, "my-duties")

    Unavailability.objects.create(user=member, date=timezone.localdate(when))
    assert "Systems week" not in section(member_client, "open-slots")


def test_each_member_has_their_own_sections(organizer, member, other_member):
    session = new_session(organizer, timezone.now() + dt.timedelta(days=3), slots=2)
    present(session.slots.get(position=1), member)
    clients = {}
    for user in (member, other_member):
        clients[user.pk] = Client()
        clients[user.pk].force_login(user)
    assert "you present" in section(clients[member.pk], "my-duties")
    assert "you present" not in section(clients[other_member.pk], "my-duties")
