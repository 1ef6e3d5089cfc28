"""The notes page at size: filter chips and links, bad filter values, cursor pages, search pages."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from readinggroup.models import Note, User
from readinggroup.notes import search
from readinggroup.notes.actions import post_note
from readinggroup.notes.search import SEARCH_WINDOW
from tests.factories import ListingFactory, PaperFactory, UserFactory
from tests.html import shown_notes

pytestmark = pytest.mark.django_db

NOTES = reverse("notes:note_list")
HTMX = {"HX-Request": "true"}


def _bodies(response) -> list[str]:
    return shown_notes(response.content.decode())


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', html)
    return html_lib.unescape(found.group(1)) if found else None


def _many(author, paper, count: int, *, body: str = "note {i}") -> list[Note]:
    """``count`` notes on ``paper``, oldest first; groups of three share a created_at."""
    start = timezone.now() - dt.timedelta(days=30)
    notes = Note.objects.bulk_create(
        Note(author=author, paper=paper, body=body.format(i=i), body_html=f"<p>{i}</p>")
        for i in range(count)
    )
    for i, note in enumerate(notes):
        note.created_at = start + dt.timedelta(minutes=i // 3)  # ties: order by id then
    Note.objects.bulk_update(notes, ["created_at"])
    return notes


# --- Filters by link, shown as chips ------------------------------------------------------


def test_notes_page_lists_no_paper_session_or_author_choices(
    member_client: Client, member, paper, session
) -> None:
    post_note(author=member, body="on the paper", paper=paper)
    html = member_client.get(NOTES).content.decode()
    assert 'name="topic"' in html
    for name in ("paper", "session", "author"):
        assert f'<select name="{name}"' not in html


def test_notes_page_note_links_filter_by_author_paper_and_session(
    member_client: Client, member, paper, session
) -> None:
    post_note(author=member, body="on the paper", paper=paper)
    post_note(author=member, body="on the session", session=session)
    html = member_client.get(NOTES).content.decode()
    assert f'href="{NOTES}?author={member.pk}"' in html
    assert f'href="{NOTES}?paper={paper.pk}"' in html
    assert f'href="{NOTES}?session={session.pk}"' in html


def test_notes_page_paper_filter_shows_removable_chip(
    member_client: Client, member, other_member, paper
) -> None:
    post_note(author=member, body="mine on the paper", paper=paper)
    post_note(author=other_member, body="theirs on another", paper=PaperFactory())
    response = member_client.get(NOTES, {"paper": paper.pk, "author": member.pk, "q": ""})
    html = response.content.decode()
    assert _bodies(response) == ["mine on the paper"]
    assert "Paper: Efficient Memory Management for LLM Serving" in html
    assert f"Author: {member.name}" in html
    # Each chip's ✕ keeps the other filter; hidden inputs keep both when searching.
    assert f'<a href="{NOTES}?author={member.pk}" aria-label="Remove the filter Paper:' in html
    assert f'<a href="{NOTES}?paper={paper.pk}" aria-label="Remove the filter Author:' in html
    assert f'<input type="hidden" name="paper" value="{paper.pk}">' in html
    assert f'<input type="hidden" name="author" value="{member.pk}">' in html


def test_notes_page_session_chip_and_search_within_it(
    member_client: Client, member, session, paper
) -> None:
    post_note(author=member, body="paging in the session", session=session)
    post_note(author=member, body="paging on the paper", paper=paper)
    response = member_client.get(NOTES, {"session": session.pk, "q": "paging"})
    assert _bodies(response) == ["paging in the session"]
    assert f"Session: {session}" in response.content.decode()


def test_thread_all_notes_link_filters_the_notes_page(member_client: Client, paper) -> None:
    html = member_client.get(paper.get_absolute_url()).content.decode()
    assert f'href="{NOTES}?paper={paper.pk}"' in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"paper": "abc"}, "“abc” is not a valid paper: showing notes without that filter."),
        ({"session": "-3"}, "“-3” is not a valid session: showing notes without that filter."),
        ({"author": "1e9"}, "“1e9” is not a valid author: showing notes without that filter."),
        ({"topic": "x"}, "“x” is not a valid topic: showing notes without that filter."),
        ({"paper": "999999"}, "There is no paper #999999: showing notes without that filter."),
        ({"session": "999999"}, "There is no session #999999: showing notes without that filter."),
        ({"author": "999999"}, "There is no author #999999: showing notes without that filter."),
        ({"before": "yesterday"}, "That page link is broken: showing the newest notes."),
        ({"after": "1.x"}, "That page link is broken: showing the newest notes."),
        ({"before": "9" * 30 + ".1"}, "That page link is broken: showing the newest notes."),
    ],
)
def test_notes_page_bad_filter_value_says_so_and_shows_notes(
    member_client: Client, member, paper, params: dict, message: str
) -> None:
    post_note(author=member, body="still listed", paper=paper)
    response = member_client.get(NOTES, params)
    assert response.status_code == 200
    assert _bodies(response) == ["still listed"]
    assert html_lib.escape(message, quote=False) in response.content.decode()
    assert "Remove the filter" not in response.content.decode()


def test_notes_page_bad_filter_value_in_htmx_fragment(member_client: Client) -> None:
    response = member_client.get(NOTES, {"paper": "abc"}, headers=HTMX)
    html = response.content.decode()
    assert "<html" not in html and "is not a valid paper" in html


def test_notes_page_hidden_filter_target_does_not_leak_hidden_notes(
    member, other_member, paper
) -> None:
    note = post_note(author=other_member, body="hidden remark", paper=paper)
    Note.objects.filter(pk=note.pk).update(hidden=True)
    client = Client()
    client.force_login(member)
    assert _bodies(client.get(NOTES, {"author": other_member.pk})) == []


# --- Pages by cursor --------------------------------------------------------------------


def test_notes_page_older_and_newer_pages_have_no_gaps_or_repeats(
    member_client: Client, member, paper
) -> None:
    _many(member, paper, 60)  # 20 groups of three notes at the same time
    newest_first = [f"note {i}" for i in range(59, -1, -1)]
    first = member_client.get(NOTES, {"paper": paper.pk})
    assert _bodies(first) == newest_first[:25]
    assert _link(first.content.decode(), "prev") is None
    seen, url, pages = [], f"{NOTES}?paper={paper.pk}", []
    while url:
        response = member_client.get(url)
        pages.append(response)
        seen += _bodies(response)
        older = _link(response.content.decode(), "next")
        url = NOTES + older if older else None
        assert older is None or older.startswith(f"?paper={paper.pk}&before=")
    assert seen == newest_first and len(pages) == 3
    # Back from the last page: "Newer notes" gives the page before it again.
    newer = _link(pages[-1].content.decode(), "prev")
    assert newer.startswith(f"?paper={paper.pk}&after=")
    assert _bodies(member_client.get(NOTES + newer)) == newest_first[25:50]


def test_notes_page_newer_link_from_second_page_returns_to_first(
    member_client: Client, member, paper
) -> None:
    _many(member, paper, 30)
    second = member_client.get(NOTES + _link(member_client.get(NOTES).content.decode(), "next"))
    assert _bodies(second) == [f"note {i}" for i in range(4, -1, -1)]
    back = member_client.get(NOTES + _link(second.content.decode(), "prev"))
    assert _bodies(back) == [f"note {i}" for i in range(29, 4, -1)]
    assert _link(back.content.decode(), "prev") is None  # the newest page: nothing newer
    assert _link(back.content.decode(), "next") is not None


def test_notes_page_chip_removal_leaves_the_cursor_behind(
    member_client: Client, member, paper
) -> None:
    html = member_client.get(NOTES, {"paper": paper.pk, "after": "1.1", "author": member.pk})
    html = html.content.decode()
    assert f'<a href="{NOTES}?author={member.pk}" aria-label="Remove the filter Paper:' in html
    assert f'<a href="{NOTES}?paper={paper.pk}" aria-label="Remove the filter Author:' in html


def test_notes_page_search_page_in_htmx_fragment_pushes_the_page_shown(
    member_client: Client, member, paper
) -> None:
    _many(member, paper, 30, body="batching note {i}")
    response = member_client.get(NOTES, {"q": "batching", "page": "99", "topic": ""}, headers=HTMX)
    assert response["HX-Push-Url"] == f"{NOTES}?q=batching&page=2"  # the last page
    assert response.content.decode().count('<p class="note-snippet">') == 5


def test_notes_page_older_link_in_htmx_fragment_pushes_its_url(
    member_client: Client, member, paper
) -> None:
    _many(member, paper, 30)
    older = _link(member_client.get(NOTES).content.decode(), "next")
    response = member_client.get(NOTES + older, headers=HTMX)
    assert response.content.decode().strip().startswith('<section id="results"')
    assert response["HX-Push-Url"] == NOTES + older
    shown = re.findall(r"<p>(\d+)</p>", response.content.decode())
    assert shown == ["4", "3", "2", "1", "0"]


# --- Search pages ------------------------------------------------------------------------


def test_notes_page_search_pages_through_ranked_matches(member_client: Client, member, paper):
    _many(member, paper, 30, body="batching note {i}")
    first = member_client.get(NOTES, {"q": "batching"})
    assert "<strong>30</strong> notes match" in first.content.decode()
    second = member_client.get(NOTES + _link(first.content.decode(), "next"))
    assert len(_bodies(second)) == 5
    assert set(_bodies(first)) | set(_bodies(second)) == {f"batching note {i}" for i in range(30)}


def test_notes_page_search_filling_the_window_exactly_counts_them(
    member_client: Client, member, paper, monkeypatch
) -> None:
    monkeypatch.setattr(search, "SEARCH_WINDOW", 3)
    _many(member, paper, 3, body="batching note {i}")
    html = member_client.get(NOTES, {"q": "batching"}).content.decode()
    assert "<strong>3</strong> notes match" in html and "the best matches among" not in html
    _many(member, paper, 1, body="batching again {i}")
    response = member_client.get(NOTES, {"q": "batching"})
    assert "<strong>3+</strong> notes match" in response.content.decode()
    assert "batching again 0" in _bodies(response)  # the newest three are ranked
    assert "batching note 0" not in _bodies(response)


def test_notes_page_search_beyond_the_window_says_there_are_more(
    member_client: Client, member, paper
) -> None:
    _many(member, paper, SEARCH_WINDOW + 5, body="batching note {i}")
    html = member_client.get(NOTES, {"q": "batching"}).content.decode()
    assert f"<strong>{SEARCH_WINDOW}+</strong> notes match" in html
    assert f"the best matches among the newest {SEARCH_WINDOW}" in html


# --- Queries: a fixed number whatever the size -----------------------------------------


def _seed(size: int, paper, session) -> None:
    writers = [UserFactory(username=f"writer{i}") for i in range(3)]
    for i in range(size):
        target = {"paper": paper} if i % 2 else {"session": session}
        post_note(author=writers[i % 3], body=f"Cluster scheduling note {i}", **target)


@pytest.mark.parametrize("size", [3, 40])
def test_notes_page_filtered_query_count_is_fixed(
    member_client: Client, member, paper, session, django_assert_num_queries, size: int
) -> None:
    _seed(size, paper, session)
    writer = User.objects.get(username="writer1")
    topic = ListingFactory(paper=paper).topic_id
    params = {"paper": paper.pk, "author": writer.pk, "topic": topic}
    # session, user, paper, author
    # (the chips), a page of notes, topics.
    with django_assert_num_queries(6):
        response = member_client.get(NOTES, params)
    # writer1 wrote notes 1, 4, 7, …; the odd ones are on the paper.
    expected = [f"Cluster scheduling note {i}" for i in range(size - 1, -1, -1) if i % 6 == 1]
    assert _bodies(response) == expected[:25] and expected


@pytest.mark.parametrize("size", [3, 40])
def test_notes_page_older_page_query_count_is_fixed(
    member_client: Client, paper, session, django_assert_num_queries, size: int
) -> None:
    _seed(size, paper, session)
    # session, user, a page, topics
    with django_assert_num_queries(4):
        response = member_client.get(NOTES, {"before": f"{10**17}.1"})
    assert len(_bodies(response)) == min(size, 25)


@pytest.mark.parametrize("size", [3, 40])
def test_notes_page_full_search_query_count_is_fixed(
    member_client: Client, paper, session, django_assert_num_queries, size: int
) -> None:
    _seed(size, paper, session)
    # session, user, paper (chip), matches, page, topics
    with django_assert_num_queries(6):
        response = member_client.get(NOTES, {"q": "scheduling", "paper": paper.pk})
    assert len(_bodies(response)) == min(size // 2, 25)


def test_notes_page_topic_select_keeps_the_chosen_topic(member_client: Client, member, paper):
    listing = ListingFactory(paper=paper)
    post_note(author=member, body="on a listed paper", paper=paper)
    response = member_client.get(NOTES, {"topic": listing.topic_id})
    html = response.content.decode()
    assert _bodies(response) == ["on a listed paper"]
    assert f'<option value="{listing.topic_id}" selected>{listing.topic.name}</option>' in html
    assert f'<optgroup label="{listing.topic.reading_list.name}">' in html


def test_notes_page_htmx_history_restore_gets_the_whole_page(member_client):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    html = member_client.get(NOTES, headers=headers).content.decode()
    assert "<html" in html and 'name="q"' in html
