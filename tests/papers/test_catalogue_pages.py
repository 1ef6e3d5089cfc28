from __future__ import annotations

import bibtexparser
import pytest
from django.test import Client
from django.urls import reverse

from papers.models import Topic
from readinggroup.notes.actions import post_note
from tests.factories import ListingFactory, PaperFactory, TopicFactory

pytestmark = pytest.mark.django_db

CATALOGUE = reverse("papers:paper_list")


def _titles(response) -> list[str]:
    return [p.title for p in response.context["page"].object_list]


def _make_catalogue(size: int, prefix: str = "Cluster study") -> Topic:
    topic = TopicFactory(name="Scheduling")
    other = TopicFactory(name="Inference")
    for i in range(size):
        paper = PaperFactory(title=f"{prefix} {i:03d}", venue="OSDI" if i % 2 else "SOSP")
        ListingFactory(paper=paper, topic=topic)
        ListingFactory(paper=paper, topic=other)
    return topic


@pytest.mark.parametrize(
    "url",
    [
        CATALOGUE,
        reverse("papers:topic_list"),
        reverse("papers:export"),
        reverse("papers:import"),
        reverse("papers:duplicate_list"),
        reverse("home"),
    ],
)
def test_pages_anonymous_redirected_to_login(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_paper_detail_anonymous_redirected_to_login(client: Client) -> None:
    paper = PaperFactory()
    url = paper.get_absolute_url()
    response = client.get(url)
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_login_page_shows_form_to_anonymous(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_login_with_password_lands_on_dashboard(client: Client, member) -> None:
    response = client.post(
        reverse("login"),
        {"username": "mira", "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Mira Member" in response.content.decode()
    assert "My upcoming duties" in response.content.decode()


def test_healthz_answers_without_login(client: Client) -> None:
    response = client.get(reverse("healthz"))
    assert response.content == b"ok"


def test_catalogue_full_page_has_filters_and_results(member_client: Client) -> None:
    _make_catalogue(3)
    response = member_client.get(CATALOGUE)
    html = response.content.decode()
    assert html.startswith("<!doctype html>")
    assert 'name="q"' in html and 'name="topic"' in html and 'name="venue"' in html
    assert 'id="results"' in html
    assert _titles(response) == ["Cluster study 000", "Cluster study 001", "Cluster study 002"]


def test_catalogue_htmx_request_gets_results_fragment(member_client: Client) -> None:
    _make_catalogue(3)
    response = member_client.get(
        CATALOGUE, {"q": "study 001", "topic": "", "venue": ""}, headers={"HX-Request": "true"}
    )
    html = response.content.decode().strip()
    assert html.startswith('<section id="results"')
    assert "<html" not in html and 'name="topic"' not in html
    assert "Cluster study 001" in html and "Cluster study 000" not in html
    assert "HX-Request" in response["Vary"]
    # The address bar gets a clean, shareable URL that works without JavaScript.
    assert response["HX-Push-Url"] == f"{CATALOGUE}?q=study+001"


def test_catalogue_search_matches_title_authors_short_name_and_venue(member_client: Client) -> None:
    PaperFactory(title="Efficient Memory Management", short_name="vLLM", authors="Woosuk Kwon")
    PaperFactory(
        title="Pollux: Co-adaptive Cluster Scheduling", venue="OSDI", authors="Aurick Qiao"
    )
    PaperFactory(title="Mélange: Cost Efficient Serving", venue="arXiv", authors="Tyler Griggs")
    assert _titles(member_client.get(CATALOGUE, {"q": "vllm"})) == ["Efficient Memory Management"]
    assert _titles(member_client.get(CATALOGUE, {"q": "qiao"})) == [
        "Pollux: Co-adaptive Cluster Scheduling"
    ]
    assert _titles(member_client.get(CATALOGUE, {"q": "melange"})) == [
        "Mélange: Cost Efficient Serving"
    ]
    assert _titles(member_client.get(CATALOGUE, {"q": "arxiv efficient"})) == [
        "Mélange: Cost Efficient Serving"
    ]
    response = member_client.get(CATALOGUE, {"q": "nothing like this"})
    assert "No paper matches “nothing like this”" in response.content.decode()


def test_catalogue_filters_by_topic_list_venue_and_year(member_client: Client) -> None:
    a = PaperFactory(title="Alpha", venue="OSDI", year=2020)
    b = PaperFactory(title="Beta", venue="SOSP", year=2023)
    c = PaperFactory(title="Gamma", venue="OSDI", year=2023)
    topic = TopicFactory()
    ListingFactory(paper=a, topic=topic)
    ListingFactory(paper=b, topic=topic)
    ListingFactory(paper=c)
    assert _titles(member_client.get(CATALOGUE, {"topic": topic.pk})) == ["Alpha", "Beta"]
    assert _titles(member_client.get(CATALOGUE, {"list": topic.reading_list_id})) == [
        "Alpha",
        "Beta",
    ]
    assert _titles(member_client.get(CATALOGUE, {"venue": "OSDI"})) == ["Alpha", "Gamma"]
    assert _titles(member_client.get(CATALOGUE, {"venue": "OSDI", "year": 2023})) == ["Gamma"]
    assert _titles(member_client.get(CATALOGUE, {"sort": "-year"})) == ["Beta", "Gamma", "Alpha"]


def test_catalogue_paper_in_two_topics_of_a_list_appears_once(member_client: Client) -> None:
    topic = _make_catalogue(2)
    response = member_client.get(CATALOGUE, {"list": topic.reading_list_id})
    assert response.context["page"].paginator.count == 2


def test_catalogue_mangled_parameters_show_whole_catalogue(member_client: Client) -> None:
    _make_catalogue(2)
    response = member_client.get(
        CATALOGUE, {"topic": "abc", "year": "99999", "sort": "evil", "page": "-4", "list": "x"}
    )
    assert response.status_code == 200
    assert _titles(response) == ["Cluster study 000", "Cluster study 001"]


def test_catalogue_pages_keep_filters_in_links(member_client: Client) -> None:
    _make_catalogue(30)
    first = member_client.get(CATALOGUE, {"venue": "SOSP"})
    assert first.context["page"].paginator.count == 15
    _make_catalogue(30, prefix="Second study")  # 30 more: two pages of SOSP papers
    first = member_client.get(CATALOGUE, {"venue": "SOSP"})
    html = first.content.decode()
    assert 'href="?venue=SOSP&amp;page=2"' in html
    assert 'hx-get="?venue=SOSP&amp;page=2"' in html
    second = member_client.get(CATALOGUE, {"venue": "SOSP", "page": 2})
    assert len(second.context["page"].object_list) == 5
    assert all(p.venue == "SOSP" for p in second.context["page"].object_list)


@pytest.mark.parametrize("size", [3, 40])
def test_catalogue_full_page_query_count_is_fixed(
    member_client: Client, django_assert_num_queries, size: int
) -> None:
    _make_catalogue(size)
    # session, user, count, papers, their listings, topics,
    # lists, venues, years.
    with django_assert_num_queries(9):
        html = member_client.get(CATALOGUE).content.decode()
    assert html.count('class="paper-title"') == min(size, 25)
    assert html.count('class="tag"') == 2 * min(size, 25)


@pytest.mark.parametrize("size", [3, 40])
def test_catalogue_fragment_query_count_is_fixed(
    member_client: Client, django_assert_num_queries, size: int
) -> None:
    _make_catalogue(size)
    # session, user, count, papers, their listings
    with django_assert_num_queries(5):
        response = member_client.get(CATALOGUE, {"q": "cluster"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.count('class="paper-title"') == min(size, 25) and "<html" not in html


@pytest.mark.parametrize("size", [3, 40])
def test_topic_page_query_count_is_fixed(
    member_client: Client, django_assert_num_queries, size: int
) -> None:
    _make_catalogue(size)
    with django_assert_num_queries(4):  # session, user, topics with counts, paper count
        response = member_client.get(reverse("papers:topic_list"))
    html = response.content.decode()
    assert "Scheduling" in html and f'<span class="count-pill">{size}</span>' in html


def test_paper_detail_shows_metadata_topics_sources_and_bibtex(member_client: Client) -> None:
    paper = PaperFactory(
        title="Efficient Memory Management", short_name="vLLM", venue="SOSP", year=2023
    )
    listing = ListingFactory(
        paper=paper, raw_text="- *(vLLM) Efficient Memory Management* (SOSP23)"
    )
    response = member_client.get(paper.get_absolute_url())
    html = response.content.decode()
    assert "<h1>Efficient Memory Management</h1>" in html
    assert listing.topic.name in html and listing.topic.reading_list.name in html
    assert "- *(vLLM) Efficient Memory Management* (SOSP23)" in html
    assert f"@inproceedings{{{paper.citation_key}," in html
    assert "shorthand = {vLLM}" in html


@pytest.mark.parametrize("size", [1, 12])
def test_paper_detail_query_count_is_fixed(
    member_client: Client, member, django_assert_num_queries, size: int
) -> None:
    paper = PaperFactory()
    for _ in range(size):
        ListingFactory(paper=paper)
        note = post_note(author=member, body="A note", paper=paper)
        post_note(author=member, body="A reply", parent=note)
    # session, user, paper, listings, my want-to-read mark, where it is scheduled, the
    # open slots, notes, their replies
    with django_assert_num_queries(9):
        response = member_client.get(paper.get_absolute_url())
    assert response.content.decode().count('class="note-thread"') == size


def test_paper_detail_missing_paper_is_404(member_client: Client) -> None:
    response = member_client.get(reverse("papers:paper_detail", args=[999999]))
    assert response.status_code == 404
    assert "There is nothing here" in response.content.decode()


def test_export_gives_bibtex_of_the_selection(member_client: Client) -> None:
    topic = _make_catalogue(4)
    PaperFactory(title="Unrelated paper")
    response = member_client.get(reverse("papers:export"), {"topic": topic.pk})
    assert response["Content-Disposition"] == 'attachment; filename="readinggroup.bib"'
    library = bibtexparser.parse_string(response.content.decode())
    assert sorted(e["title"] for e in library.entries) == [
        f"Cluster study {i:03d}" for i in range(4)
    ]
    assert library.failed_blocks == []


def test_export_of_one_paper(member_client: Client) -> None:
    paper = PaperFactory(title="Just this one")
    PaperFactory(title="Not this one")
    response = member_client.get(reverse("papers:export"), {"paper": paper.pk})
    library = bibtexparser.parse_string(response.content.decode())
    assert [e.key for e in library.entries] == [paper.citation_key]


def test_logout_requires_post_and_logs_out(member_client: Client) -> None:
    response = member_client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert member_client.get(CATALOGUE).status_code == 302


def test_post_without_csrf_token_is_refused(member) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    assert client.get(CATALOGUE).status_code == 200  # still logged in


def test_catalogue_is_readable_on_a_phone(member_client: Client) -> None:
    html = member_client.get(CATALOGUE).content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<link rel="stylesheet" href="/static/css/app.css">' in html
    assert '<script src="/static/django_htmx/htmx-2.min.js" defer>' in html  # bundled, no CDN
    assert "https://" not in html


@pytest.mark.parametrize("header", ["HX-History-Restore-Request", "HX-Boosted"])
def test_catalogue_htmx_history_restore_or_boost_gets_the_whole_page(member_client, header):
    # htmx reloading a page it has no snapshot of wants the page, not the results alone.
    PaperFactory(title="Orca: A Distributed Serving System")
    headers = {"HX-Request": "true", header: "true"}
    html = member_client.get(CATALOGUE, {"q": "orca"}, headers=headers).content.decode()
    assert "<html" in html and "Orca: A Distributed Serving System" in html
    assert 'name="q"' in html  # the filters too
