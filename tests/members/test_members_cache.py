"""The members table is computed once and served from the cache until members or the
schedule change, or the next session starts.

Committed for real (``transaction=True``): the cache follows commits.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from readinggroup.members import actions
from readinggroup.models import User
from tests.factories import UserFactory
from tests.html import without_csrf

from .conftest import HTMX, client_for, make_session

pytestmark = pytest.mark.django_db(transaction=True)

LIST = reverse("members:member_list")


def row(client, user: User, **params) -> str:
    html = client.get(LIST, params).content.decode()
    match = re.search(rf'<tr id="member-{user.pk}".*?</tr>', html, re.S)
    assert match, f"no row for {user}"
    return match.group(0)


def test_members_page_again_takes_the_table_from_the_cache(
    member_client, member, other_member, django_assert_num_queries
):
    make_session(days=-3, presenters=[member])
    make_session(days=4, presenters=[other_member])
    first = without_csrf(member_client.get(LIST).content.decode())
    with django_assert_num_queries(3):  # session, user, the data generations
        again = without_csrf(member_client.get(LIST).content.decode())
    assert again == first
    assert '<span class="badge you">you</span>' in row(member_client, member)


def test_members_table_shows_a_presentation_once_its_session_started(member_client, member):
    now = timezone.now()
    session = make_session(days=2 / (24 * 60), presenters=[member])  # in two minutes
    with time_machine.travel(now, tick=False):
        before = row(member_client, member)
    assert '<span class="count-number">0</span>' in before
    assert f'<a href="{session.get_absolute_url()}">' in before and "presents" in before
    with time_machine.travel(now + dt.timedelta(minutes=3), tick=False):
        after = row(member_client, member)
    assert '<span class="count-number">1</span>' in after
    assert "presents" not in after


def test_members_table_follows_a_removal_and_a_new_member(organizer, member, member_client):
    other = UserFactory(display_name="Zed Leaving")
    assert "Zed Leaving" in member_client.get(LIST).content.decode()
    actions.remove_member(member=other, by=organizer)
    UserFactory(display_name="Yan Joining")
    html = member_client.get(LIST).content.decode()
    assert "Zed Leaving" not in html and "Yan Joining" in html


def test_members_table_is_cached_per_filter_and_page(member_client):
    for i in range(55):
        UserFactory(display_name=f"Person {i:02d}")
    page_two = member_client.get(LIST, {"page": "2"}, headers=HTMX).content.decode()
    named = member_client.get(LIST, {"q": "Person 07"}, headers=HTMX).content.decode()
    assert "Page 2 of 2" in page_two
    assert re.findall(r'class="member-name">([^<]+)<', named) == ["Person 07"]
    assert member_client.get(LIST, {"page": "2"}, headers=HTMX).content.decode() == page_two


def test_you_badge_marks_each_viewer_on_the_same_cached_table(member, other_member):
    mine, theirs = client_for(member), client_for(other_member)
    assert '<span class="badge you">you</span>' in row(mine, member)
    assert '<span class="badge you">you</span>' not in row(theirs, member)
    assert '<span class="badge you">you</span>' in row(theirs, other_member)


def test_organizer_sees_the_manage_column_on_a_table_a_member_cached(
    member_client, organizer, member
):
    member_client.get(LIST)
    html = row(client_for(organizer), member)
    assert "Make organizer" in html and 'name="csrfmiddlewaretoken"' in html
