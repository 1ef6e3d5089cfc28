"""The catalogue keeps its rendered filters and results in the cache, per search and
page, until anything in the catalogue changes.

Committed for real (``transaction=True``): the cache follows commits.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from papers.models import Paper
from readinggroup.models import WantToRead
from tests.factories import ListingFactory, PaperFactory, TopicFactory
from tests.html import without_csrf

pytestmark = pytest.mark.django_db(transaction=True)

CATALOGUE = reverse("papers:paper_list")
HTMX = {"HX-Request": "true"}


def titles(html: str) -> list[str]:
    return re.findall(r'class="paper-title" href="[^"]+">([^<]+)</a>', html)


def results(client, **params) -> str:
    return client.get(CATALOGUE, params, headers=HTMX).content.decode()


@pytest.fixture
def catalogue() -> None:
    topic = TopicFactory(name="Scheduling")
    for title in ("Borg", "Omega", "Kubernetes"):
        ListingFactory(paper=PaperFactory(title=title, venue="EuroSys"), topic=topic)


def test_catalogue_again_is_served_from_the_cache(
    member_client, catalogue, django_assert_num_queries
):
    first = without_csrf(member_client.get(CATALOGUE).content.decode())
    with django_assert_num_queries(3):  # session, user, the data generations
        again = without_csrf(member_client.get(CATALOGUE).content.decode())
    assert again == first
    assert titles(again) == ["Borg", "Kubernetes", "Omega"]
    results(member_client, q="borg")
    with django_assert_num_queries(3):
        response = member_client.get(CATALOGUE, {"q": "borg"}, headers=HTMX)
    assert titles(response.content.decode()) == ["Borg"]
    assert response["HX-Push-Url"] == f"{CATALOGUE}?q=borg"


def test_new_and_renamed_papers_show_at_once(member_client, catalogue):
    assert titles(results(member_client, q="o")) == ["Borg", "Kubernetes", "Omega"]
    PaperFactory(title="Sparrow")
    Paper.objects.filter(title="Omega").update(title="Omega, revised")
    assert titles(results(member_client, q="o")) == [
        "Borg",
        "Kubernetes",
        "Omega, revised",
        "Sparrow",
    ]


def test_a_want_mark_reorders_the_cached_most_wanted(member_client, member, catalogue):
    assert titles(results(member_client, sort="wanted")) == ["Borg", "Kubernetes", "Omega"]
    member_client.post(
        reverse("want_toggle", args=[Paper.objects.get(title="Omega").pk]), {"wanted": "1"}
    )
    html = results(member_client, sort="wanted")
    assert titles(html) == ["Omega", "Borg", "Kubernetes"]
    assert "★ 1 wants to read" in html
    WantToRead.objects.filter(user=member).delete()  # the signals recount the paper
    assert "wants to read" not in results(member_client, sort="wanted")


def test_filters_keep_each_request_s_choice_selected(member_client, catalogue):
    topic = TopicFactory(name="Inference")
    ListingFactory(topic=topic)
    plain = member_client.get(CATALOGUE).content.decode()
    chosen = member_client.get(CATALOGUE, {"topic": topic.pk}).content.decode()
    assert f'<option value="{topic.pk}" selected>Inference</option>' in chosen
    assert f'<option value="{topic.pk}" >Inference</option>' in plain
    # The plain page again, after the chosen one was cached: nothing chosen.
    assert (
        f'<option value="{topic.pk}" >Inference</option>'
        in member_client.get(CATALOGUE).content.decode()
    )


def test_new_topic_shows_in_the_cached_filters(member_client, catalogue):
    assert "Compilers" not in member_client.get(CATALOGUE).content.decode()
    ListingFactory(topic=TopicFactory(name="Compilers"))
    assert ">Compilers</option>" in member_client.get(CATALOGUE).content.decode()


def test_out_of_range_page_pushes_the_page_shown_from_the_cache(member_client, catalogue):
    for _ in range(2):
        response = member_client.get(CATALOGUE, {"q": "o", "page": "9"}, headers=HTMX)
        assert response["HX-Push-Url"] == f"{CATALOGUE}?q=o"  # page 1 is the only page
        assert titles(response.content.decode()) == ["Borg", "Kubernetes", "Omega"]


def test_paper_page_details_follow_a_new_listing_and_an_edit(member_client, catalogue):
    paper = Paper.objects.get(title="Borg")
    html = member_client.get(paper.get_absolute_url()).content.decode()
    assert '<a class="tag" href="/papers/?topic=' in html and ">Scheduling</a>" in html
    assert "Compilers" not in html
    ListingFactory(paper=paper, topic=TopicFactory(name="Compilers"))
    Paper.objects.filter(pk=paper.pk).update(doi="10.1145/2741948.2741964")
    html = member_client.get(paper.get_absolute_url()).content.decode()
    assert ">Compilers</a>" in html
    assert "doi = {10.1145/2741948.2741964}" in html  # the BibTeX too
    other = Paper.objects.get(title="Omega")
    assert ">Compilers</a>" not in member_client.get(other.get_absolute_url()).content.decode()


def test_stray_or_mangled_parameters_share_the_entry_of_the_filters_that_validate(
    member_client, catalogue, django_assert_num_queries
):
    first = results(member_client, venue="EuroSys")
    assert f"{reverse('papers:export')}?venue=EuroSys" in first
    with django_assert_num_queries(3):  # served from the entry of ?venue=EuroSys
        again = results(member_client, venue="EuroSys", utm_source="mail", year="nineteen")
    assert again == first  # and its links carry no stray parameter
    assert "utm_source" not in again and "nineteen" not in again
