"""The notes page keeps its rendered results in the cache, per search, filter, page and
kind of reader, until notes, their authors or what they are on change.

Committed for real (``transaction=True``): the cache follows commits.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from readinggroup.models import User
from readinggroup.notes.actions import edit_note, post_note, set_hidden
from tests.html import shown_notes, without_csrf

pytestmark = pytest.mark.django_db(transaction=True)

NOTES = reverse("notes:note_list")
HTMX = {"HX-Request": "true"}


def found(client: Client, query: str = "", **params) -> list[str]:
    if query:
        params["q"] = query
    return shown_notes(client.get(NOTES, params, headers=HTMX).content.decode())


def test_notes_again_are_served_from_the_cache(
    member_client, member, paper, django_assert_num_queries
):
    post_note(author=member, body="paging and scheduling", paper=paper)
    first = member_client.get(NOTES, {"q": "paging"}, headers=HTMX)
    # session, user, the data generations, whether I wrote hidden notes
    with django_assert_num_queries(4):
        again = member_client.get(NOTES, {"q": "paging"}, headers=HTMX)
    assert again.content == first.content
    assert again["HX-Push-Url"] == f"{NOTES}?q=paging"
    assert shown_notes(again.content.decode()) == ["paging and scheduling"]
    page = without_csrf(member_client.get(NOTES).content.decode())
    with django_assert_num_queries(4):
        assert without_csrf(member_client.get(NOTES).content.decode()) == page


def test_new_and_edited_notes_show_at_once(member_client, member, paper):
    note = post_note(author=member, body="paging and scheduling", paper=paper)
    assert found(member_client, "paging") == ["paging and scheduling"]
    assert found(member_client) == ["paging and scheduling"]
    post_note(author=member, body="more paging", paper=paper)
    edit_note(note=note, body="scheduling only")
    assert found(member_client, "paging") == ["more paging"]
    assert found(member_client) == ["more paging", "scheduling only"]


def test_hiding_a_note_hides_it_from_the_cached_results_of_members(
    member, other_member, organizer, paper
):
    note = post_note(author=member, body="paging remark", paper=paper)
    readers = {}
    for user in (member, other_member, organizer):
        readers[user.username] = Client()
        readers[user.username].force_login(user)
        assert found(readers[user.username], "paging") == ["paging remark"]

    set_hidden(note=note, hidden=True)

    assert found(readers["otto"], "paging") == []
    assert found(readers["mira"], "paging") == ["paging remark"]  # the author still sees it
    html = readers["olga"].get(NOTES, {"q": "paging"}, headers=HTMX).content.decode()
    assert (
        shown_notes(html) == ["paging remark"] and '<span class="badge warn">hidden</span>' in html
    )


def test_renamed_author_shows_in_the_cached_results(member_client, member, paper):
    post_note(author=member, body="paging remark", paper=paper)
    assert "<strong>Mira Member</strong>" in member_client.get(NOTES).content.decode()
    User.objects.filter(pk=member.pk).update(display_name="Mira Renamed")
    assert "<strong>Mira Renamed</strong>" in member_client.get(NOTES).content.decode()


def test_each_filter_and_search_is_kept_apart(member_client, member, paper, session):
    post_note(author=member, body="on the paper about paging", paper=paper)
    post_note(author=member, body="on the session about paging", session=session)
    assert found(member_client, "paging", paper=paper.pk) == ["on the paper about paging"]
    assert found(member_client, "paging", session=session.pk) == ["on the session about paging"]
    assert found(member_client, "session") == ["on the session about paging"]
    assert len(found(member_client, "paging")) == 2
