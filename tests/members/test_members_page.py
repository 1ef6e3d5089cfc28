from __future__ import annotations

import re

import pytest
from django.urls import reverse

from readinggroup.models import SessionStatus, User
from tests.factories import UserFactory

from .conftest import client_for, make_session

pytestmark = pytest.mark.django_db

LIST = reverse("members:member_list")


def _row_order(html: str) -> list[str]:
    return re.findall(r'class="member-name">([^<]+)</a>', html)


def _row(html: str, user: User) -> str:
    match = re.search(rf'<tr id="member-{user.pk}".*?</tr>', html, re.S)
    assert match, f"no row for {user}"
    return match.group(0)


# --- The figures ---------------------------------------------------------------------


def test_presentation_count_counts_only_past_scheduled_sessions(member) -> None:
    make_session(days=-30, presenters=[member])
    make_session(days=-10, presenters=[member, None])
    make_session(days=-5, presenters=[member], status=SessionStatus.CANCELLED)
    make_session(days=+5, presenters=[member])
    stats = User.objects.filter(pk=member.pk).with_presentation_stats().get()
    assert stats.presented_count == 2


def test_members_page_shows_count_last_presentation_and_duties(
    member_client, member, other_member
) -> None:
    make_session(days=-30, presenters=[member])
    last = make_session(days=-10, presenters=[member, other_member])
    ahead = make_session(days=7, presenters=[member], confirmed=False)
    scribing = make_session(days=14, presenters=[None], scribe=member)
    html = member_client.get(LIST).content.decode()
    row = _row(html, member)
    assert '<span class="count-number">2</span>' in row
    assert f'href="{last.get_absolute_url()}"' in row
    assert str(last.slots.get(presenter=member).paper) in row
    assert f'href="{ahead.get_absolute_url()}"' in row and "unconfirmed" in row
    assert str(ahead.slots.get().paper) in row
    assert f'<a href="{scribing.get_absolute_url()}">' in row and "scribe" in row
    assert f'href="{reverse("members:member_detail", args=[member.pk])}"' in row


def test_members_page_bars_scale_to_the_most_presentations(member_client, member) -> None:
    busy = UserFactory(display_name="Busy Bee")
    for days in (-40, -30, -20, -10):
        make_session(days=days, presenters=[busy])
    make_session(days=-5, presenters=[member])
    html = member_client.get(LIST).content.decode()
    assert '<rect width="100" height="1"/>' in _row(html, busy)
    assert '<rect width="25" height="1"/>' in _row(html, member)


def test_members_page_never_presented_shows_never(member_client, member) -> None:
    row = _row(member_client.get(LIST).content.decode(), member)
    assert '<span class="count-number">0</span>' in row and "Never" in row and "None" in row


def test_members_page_sorts_fewest_then_longest_ago_first(member_client, member) -> None:
    twice = UserFactory(display_name="Twice")
    recent = UserFactory(display_name="Once Recently")
    long_ago = UserFactory(display_name="Once Long Ago")
    never = UserFactory(display_name="Never Yet")
    make_session(days=-50, presenters=[twice])
    make_session(days=-40, presenters=[long_ago])
    make_session(days=-20, presenters=[twice])
    make_session(days=-3, presenters=[recent, member])
    # an upcoming slot or a cancelled session does not count
    make_session(days=3, presenters=[never])
    make_session(days=-2, presenters=[never], status=SessionStatus.CANCELLED)
    order = _row_order(member_client.get(LIST).content.decode())
    assert order.index("Never Yet") < order.index("Once Long Ago")
    assert order.index("Once Long Ago") < order.index("Once Recently")
    assert order.index("Once Recently") < order.index("Twice")
    assert order.index("Mira Member") < order.index("Twice")


def test_members_page_lists_only_active_members(member_client, member) -> None:
    UserFactory(display_name="Gone Away", is_active=False)
    html = member_client.get(LIST).content.decode()
    assert "Gone Away" not in html and "Mira Member" in html


def test_members_page_for_members_has_no_controls(member_client, other_member) -> None:
    html = member_client.get(LIST).content.decode()
    assert "Make organizer" not in html and "Remove" not in html
    assert "Create invite link" not in html and "Create an account" not in html


def test_members_page_for_organizers_has_controls(organizer_client, organizer, member) -> None:
    html = organizer_client.get(LIST).content.decode()
    row = _row(html, member)
    assert "Make organizer" in row and "Remove" in row
    assert "Make member" in _row(html, organizer)
    assert "Create invite link" in html and "Create an account" in html


def test_members_page_anonymous_is_sent_to_login(client) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_members_nav_and_profile_links_in_every_page(member_client) -> None:
    html = member_client.get(LIST).content.decode()
    assert f'<a href="{LIST}" aria-current="page">Members</a>' in html
    assert f'<a href="{reverse("members:profile")}" >Profile</a>' in html


@pytest.mark.parametrize("size", [2, 60])
@pytest.mark.parametrize("who", ["member", "organizer"])
def test_members_page_query_count_is_fixed(
    request, django_assert_num_queries, organizer, member, size: int, who: str
) -> None:
    from readinggroup.members import actions

    people = [UserFactory() for _ in range(size)]
    for i, person in enumerate(people[:12]):
        make_session(days=-10 - i, presenters=[person, member])
        make_session(days=5 + i, presenters=[person], scribe=person)
        actions.create_invite(by=organizer, email=f"new{i}@example.org")
    client = client_for(request.getfixturevalue(who))
    # session, user, the count of members, the page of members with their figures, the
    # most presentations, last presentations, slots ahead, scribe roles ahead (+ pending
    # invites for organizers).
    with django_assert_num_queries(8 if who == "member" else 9):
        response = client.get(LIST)
    assert response.content.decode().count('class="member-name"') == min(size + 2, 50)


# --- Paging and the name filter --------------------------------------------------------


def _many(n: int) -> list[User]:
    """``n`` members who never presented, named so their order is known (by name)."""
    return [UserFactory(display_name=f"Person {i:03d}") for i in range(n)]


def test_members_page_shows_fifty_a_page_in_fairness_order(member_client, member) -> None:
    people = _many(55)
    make_session(days=-3, presenters=[member])  # presented: last of all
    first = member_client.get(LIST).content.decode()
    assert _row_order(first) == [p.display_name for p in people[:50]]
    assert "56 members; showing 1\N{EN DASH}50." in first
    assert "Page 1 of 2" in first
    assert 'href="?page=2" hx-get="?page=2" hx-target="#member-table"' in first
    assert "Previous" not in first
    second = member_client.get(LIST, {"page": 2}).content.decode()
    assert _row_order(second) == [*(p.display_name for p in people[50:]), "Mira Member"]
    assert "showing 51\N{EN DASH}56" in second
    assert 'href="?page=1"' in second and "Next" not in second
    assert '<span class="count-number">1</span>' in _row(second, member)


def test_members_page_out_of_range_page_shows_the_last(member_client) -> None:
    _many(55)
    html = member_client.get(LIST, {"page": 99}).content.decode()
    assert "Page 2 of 2" in html
    assert "Page 1 of 2" in member_client.get(LIST, {"page": "x"}).content.decode()


def test_members_page_htmx_page_link_gets_the_table_fragment(member_client) -> None:
    people = _many(55)
    response = member_client.get(LIST, {"page": 2}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and html.lstrip().startswith('<div id="member-table">')
    assert people[54].display_name in html and people[0].display_name not in html
    assert "Find a member" not in html  # the filter form stays put


def test_members_page_filter_by_name(member_client, member, other_member) -> None:
    UserFactory(username="zed", display_name="", first_name="Zoë", last_name="Quill")
    make_session(days=-3, presenters=[other_member])
    html = member_client.get(LIST, {"q": "ot"}).content.decode()
    assert _row_order(html) == ["Otto Other"]
    assert "1 member matches “ot”" in html
    assert 'value="ot"' in html and "Show everyone" in html
    assert '<span class="count-number">1</span>' in _row(html, other_member)
    assert _row_order(member_client.get(LIST, {"q": "QUILL"}).content.decode()) == ["Zoë Quill"]
    assert _row_order(member_client.get(LIST, {"q": "zed"}).content.decode()) == ["Zoë Quill"]


def test_members_page_filter_pages_keep_the_query(member_client) -> None:
    _many(55)
    UserFactory(display_name="Somebody Else")
    html = member_client.get(LIST, {"q": "person"}).content.decode()
    assert "55 members match “person”; showing 1\N{EN DASH}50." in html
    assert 'href="?q=person&amp;page=2"' in html
    second = member_client.get(LIST, {"q": "person", "page": 2}).content.decode()
    assert len(_row_order(second)) == 5 and "Somebody Else" not in second


def test_members_page_filter_matches_nobody(member_client) -> None:
    html = member_client.get(LIST, {"q": "<nobody>"}).content.decode()
    assert "No member matches “&lt;nobody&gt;”." in html
    assert _row_order(html) == []


def test_members_page_filter_htmx_gets_the_fragment(member_client, other_member) -> None:
    response = member_client.get(LIST, {"q": "otto"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and _row_order(html) == ["Otto Other"]
    assert response["HX-Push-Url"] == f"{LIST}?q=otto"
    assert response["Vary"] == "HX-Request, Cookie"  # caches keep fragment and page apart


def test_members_page_emptied_filter_pushes_a_clean_url(member_client) -> None:
    response = member_client.get(LIST, {"q": ""}, headers={"HX-Request": "true"})
    assert response["HX-Push-Url"] == LIST


def test_members_page_htmx_history_restore_gets_the_whole_page(member_client) -> None:
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    html = member_client.get(LIST, {"q": "otto"}, headers=headers).content.decode()
    assert "<html" in html and "Find a member" in html


# --- A member's page -----------------------------------------------------------------


def test_member_detail_shows_history_and_duties(member_client, other_member) -> None:
    past = make_session(days=-10, presenters=[other_member])
    cancelled = make_session(days=-5, presenters=[other_member], status=SessionStatus.CANCELLED)
    ahead = make_session(days=7, presenters=[other_member], confirmed=False)
    scribing = make_session(days=9, scribe=other_member)
    html = member_client.get(reverse("members:member_detail", args=[other_member.pk])).content
    html = html.decode()
    assert "<h1>Otto Other" in html
    assert f'href="{past.get_absolute_url()}"' in html
    assert str(past.slots.get().paper) in html
    assert str(cancelled.slots.get().paper) not in html
    assert f'href="{ahead.get_absolute_url()}"' in html and "waiting for confirmation" in html
    assert f'href="{scribing.get_absolute_url()}"' in html and "scribe" in html
    assert 'Papers presented <span class="count-pill">1</span>' in html


@pytest.mark.parametrize("who", ["organizer", "member", "other_member"])
def test_member_detail_of_active_member_visible_to_every_member(request, member, who) -> None:
    response = client_for(request.getfixturevalue(who)).get(
        reverse("members:member_detail", args=[member.pk])
    )
    assert "<h1>Mira Member" in response.content.decode()


def test_member_detail_anonymous_is_sent_to_login(client, member) -> None:
    response = client.get(reverse("members:member_detail", args=[member.pk]))
    assert response["Location"].startswith(reverse("login"))


def test_member_detail_of_removed_member_only_for_organizers(
    organizer_client, member_client
) -> None:
    gone = UserFactory(display_name="Gone Away", is_active=False)
    make_session(days=-10, presenters=[gone])
    url = reverse("members:member_detail", args=[gone.pk])
    response = member_client.get(url)
    assert response.status_code == 404
    assert "Gone Away" not in response.content.decode()  # not even their name leaks
    html = organizer_client.get(url).content.decode()
    assert "Gone Away" in html and "removed" in html


def test_member_detail_unknown_is_404(member_client) -> None:
    assert member_client.get(reverse("members:member_detail", args=[99999])).status_code == 404


@pytest.mark.parametrize("sessions", [1, 10])
def test_member_detail_query_count_is_fixed(
    member_client, django_assert_num_queries, other_member, sessions: int
) -> None:
    for i in range(sessions):
        make_session(days=-10 - i, presenters=[other_member])
        make_session(days=5 + i, presenters=[other_member], scribe=other_member)
    # session, user, the member, their slots, their scribe roles ahead
    with django_assert_num_queries(5):
        response = member_client.get(reverse("members:member_detail", args=[other_member.pk]))
    assert f'Papers presented <span class="count-pill">{sessions}</span>' in (
        response.content.decode()
    )


# --- Escaping ------------------------------------------------------------------------

PAYLOAD = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_members_page_escapes_display_names(organizer_client, member) -> None:
    UserFactory(display_name=PAYLOAD)
    make_session(days=-3, presenters=[member])
    html = organizer_client.get(LIST).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;"
        in (html)
    )


def test_member_detail_escapes_display_name(member_client) -> None:
    evil = UserFactory(display_name=PAYLOAD)
    html = member_client.get(reverse("members:member_detail", args=[evil.pk])).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
