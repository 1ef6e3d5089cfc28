from __future__ import annotations

import re

import bibtexparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from papers.models import Paper
from readinggroup.models import WantToRead
from tests.factories import ListingFactory, PaperFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

CATALOGUE = reverse("papers:paper_list")


def _want(paper: Paper, count: int) -> None:
    for i in range(count):
        WantToRead.objects.create(user=UserFactory(username=f"fan{paper.pk}-{i}"), paper=paper)


@pytest.fixture
def papers() -> dict[str, Paper]:
    topic = TopicFactory(name="Scheduling")
    made = {}
    for title, wants in [("Alpha", 0), ("Bravo", 3), ("Charlie", 1), ("Delta", 3), ("Echo", 0)]:
        made[title] = PaperFactory(title=title)
        ListingFactory(paper=made[title], topic=topic)
        ListingFactory(paper=made[title])  # a second topic must not double the count
        _want(made[title], wants)
    return made


def _titles(html: str) -> list[str]:
    return re.findall(r'class="paper-title" href="[^"]+">([^<]+)</a>', html)


def test_want_count_counts_each_member_once(papers) -> None:
    counts = dict(Paper.objects.values_list("title", "want_count"))
    assert counts == {"Alpha": 0, "Bravo": 3, "Charlie": 1, "Delta": 3, "Echo": 0}


def test_most_wanted_sort_orders_by_wants_then_title(member_client, papers) -> None:
    html = member_client.get(CATALOGUE, {"sort": "wanted"}).content.decode()
    assert _titles(html) == ["Bravo", "Delta", "Charlie", "Alpha", "Echo"]
    assert '<option value="wanted" selected>Most wanted</option>' in html


def test_catalogue_rows_show_the_want_count(member_client, papers) -> None:
    html = member_client.get(CATALOGUE).content.decode()
    assert html.count("★ 3 want to read</span>") == 2
    assert html.count("★ 1 wants to read</span>") == 1
    assert html.count('class="want-count"') == 3  # nothing shown for papers nobody wants


def test_most_wanted_sort_with_htmx_and_filters(member_client, papers) -> None:
    topic_id = papers["Alpha"].listings.order_by("pk").first().topic_id
    response = member_client.get(
        CATALOGUE,
        {"sort": "wanted", "topic": topic_id},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "<html" not in html
    assert _titles(html) == ["Bravo", "Delta", "Charlie", "Alpha", "Echo"]
    assert response["HX-Push-Url"] == f"{CATALOGUE}?sort=wanted&topic={topic_id}"


def test_export_follows_the_most_wanted_order(member_client, papers) -> None:
    response = member_client.get(reverse("papers:export"), {"sort": "wanted"})
    library = bibtexparser.parse_string(response.content.decode())
    assert [e["title"] for e in library.entries] == ["Bravo", "Delta", "Charlie", "Alpha", "Echo"]


@pytest.mark.parametrize("size", [3, 40])
def test_most_wanted_query_count_is_fixed(
    member_client, django_assert_num_queries, size: int
) -> None:
    topic = TopicFactory()
    for i in range(size):
        paper = PaperFactory()
        ListingFactory(paper=paper, topic=topic)
        _want(paper, i % 3)
    # session, user, count, papers with their counts, their
    # listings, topics, lists, venues, years
    with django_assert_num_queries(9):
        html = member_client.get(CATALOGUE, {"sort": "wanted"}).content.decode()
    assert html.count('class="paper-title"') == min(size, 25)
    # session, user, count, papers with their counts, their listings
    with django_assert_num_queries(5):
        member_client.get(CATALOGUE, {"sort": "wanted"}, headers={"HX-Request": "true"})


def test_most_wanted_sort_reads_the_stored_count(member_client, papers) -> None:
    with CaptureQueriesContext(connection) as queries:
        html = member_client.get(CATALOGUE, {"sort": "wanted"}).content.decode()
    assert _titles(html) == ["Bravo", "Delta", "Charlie", "Alpha", "Echo"]
    # No aggregation over every mark on each request: the column is kept up to date.
    assert not [q["sql"] for q in queries if "readinggroup_wanttoread" in q["sql"]]
