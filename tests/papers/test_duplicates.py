"""Duplicate candidates: found at import, reviewed and merged or dismissed by organizers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from papers.importing import apply_import
from papers.merging import MergeConflict, merge_papers
from papers.models import CandidateStatus, DuplicateCandidate, Listing, Paper, PaperAlias
from papers.parsing.base import ParsedDocument, ParsedEntry, SourceFormat
from readinggroup.models import Note, Session, Slot, WantToRead
from tests.factories import ListingFactory, PaperFactory

pytestmark = pytest.mark.django_db

DUPLICATES = reverse("papers:duplicate_list")


def _candidate(a: Paper, b: Paper) -> DuplicateCandidate:
    a, b = sorted([a, b], key=lambda p: p.pk)
    return DuplicateCandidate.objects.create(paper_a=a, paper_b=b, score=0.7, reason="test")


@pytest.fixture
def pair() -> DuplicateCandidate:
    arxiv = PaperFactory(
        title="EasyScale: Accuracy-consistent Elastic Training for Deep Learning",
        venue="arXiv",
        year=2022,
        authors="",
    )
    proceedings = PaperFactory(
        title="EasyScale: Elastic Training with Consistent Accuracy and Improved Utilization "
        "on GPUs",
        venue="SC",
        year=2023,
        short_name="",
    )
    ListingFactory(paper=arxiv, topic__name="Scheduling & Resource Management")
    ListingFactory(paper=proceedings, topic__name="Cluster Scheduling")
    return _candidate(arxiv, proceedings)


def _document(*titles: str) -> ParsedDocument:
    entries = [
        ParsedEntry(title=t, topic="Imported", line=i + 1, raw=f"- *{t}*")
        for i, t in enumerate(titles)
    ]
    return ParsedDocument("more.md", SourceFormat.MARKDOWN_LIST, "More", ["Imported"], entries)


def test_import_records_reworded_title_as_candidate() -> None:
    existing = PaperFactory(title="SLoRA: Scalable Serving of Thousands of LoRA Adapters")
    report = apply_import(
        _document("S-LORA: SERVING THOUSANDS OF CONCURRENT LORA ADAPTERS"), content_sha256="x"
    )
    assert report.candidates_created == 1
    candidate = DuplicateCandidate.objects.get()
    assert {candidate.paper_a, candidate.paper_b} == {
        existing,
        Paper.objects.get(title__startswith="S-LORA"),
    }
    assert candidate.status == CandidateStatus.OPEN


def test_import_does_not_propose_unrelated_papers_with_a_shared_word() -> None:
    PaperFactory(title="Pollux: Co-adaptive Cluster Scheduling for Goodput-Optimized Deep Learning")
    report = apply_import(
        _document("Tiresias: A GPU Cluster Manager for Distributed Deep Learning"),
        content_sha256="x",
    )
    assert report.candidates_created == 0


def test_merge_keeps_every_topic_and_source_of_both(pair: DuplicateCandidate) -> None:
    keep, drop = pair.paper_b, pair.paper_a
    drop_sources = list(drop.listings.values_list("topic__name", "raw_text"))
    keep_sources = list(keep.listings.values_list("topic__name", "raw_text"))
    merge_papers(keep=keep, drop=drop)
    assert not Paper.objects.filter(pk=drop.pk).exists()
    assert sorted(keep.listings.values_list("topic__name", "raw_text")) == sorted(
        drop_sources + keep_sources
    )
    keep.refresh_from_db()
    assert keep.title.startswith("EasyScale: Elastic Training")
    assert keep.venue == "SC" and keep.year == 2023
    assert keep.authors == "Ada Lovelace and Alan Turing"
    assert not DuplicateCandidate.objects.exists()


def test_merge_fills_missing_fields_from_the_dropped_paper() -> None:
    keep = PaperFactory(title="Zero Bubble (Almost) Pipeline Parallelism", venue="", year=None)
    drop = PaperFactory(
        title="NEAR ZERO BUBBLE PIPELINE PARALLELISM",
        venue="ICLR",
        year=2024,
        short_name="ZeroBubble",
    )
    merge_papers(keep=keep, drop=drop)
    keep.refresh_from_db()
    assert (keep.venue, keep.year, keep.short_name) == ("ICLR", 2024, "ZeroBubble")
    assert "zerobubble" in keep.search_text


def test_merge_then_reimport_does_not_bring_the_paper_back(pair: DuplicateCandidate) -> None:
    keep, drop = pair.paper_a, pair.paper_b
    dropped_title = drop.title
    merge_papers(keep=keep, drop=drop)
    report = apply_import(_document(dropped_title), content_sha256="x")
    assert report.papers_created == 0
    assert Paper.objects.filter(title=dropped_title).count() == 0
    assert PaperAlias.objects.get().paper == keep
    assert keep.listings.filter(topic__name="Imported").exists()


def test_merge_when_both_are_in_the_same_topic_keeps_one_listing() -> None:
    a = PaperFactory(title="Horovod: fast and easy distributed deep learning in TensorFlow")
    b = PaperFactory(title="Horovod: Fast, easy distributed deep learning with TensorFlow")
    first = ListingFactory(paper=a)
    ListingFactory(paper=b, topic=first.topic)
    merge_papers(keep=a, drop=b)
    assert list(Listing.objects.values_list("paper_id", "topic_id")) == [(a.pk, first.topic_id)]


def test_merge_repoints_other_candidates_of_the_dropped_paper() -> None:
    a, b, c = PaperFactory(), PaperFactory(), PaperFactory()
    _candidate(a, b)
    _candidate(b, c)
    merge_papers(keep=a, drop=b)
    remaining = DuplicateCandidate.objects.get()
    assert {remaining.paper_a_id, remaining.paper_b_id} == {a.pk, c.pk}
    assert remaining.paper_a_id < remaining.paper_b_id


def test_merge_with_itself_is_refused() -> None:
    paper = PaperFactory()
    with pytest.raises(MergeConflict, match="cannot be merged with itself"):
        merge_papers(keep=paper, drop=paper)


def test_duplicate_page_forbidden_to_members(member_client: Client, pair) -> None:
    assert member_client.get(DUPLICATES).status_code == 403
    url = reverse("papers:duplicate_merge", args=[pair.pk])
    assert member_client.post(url, {"keep": pair.paper_a_id}).status_code == 403
    assert (
        member_client.post(reverse("papers:duplicate_dismiss", args=[pair.pk])).status_code == 403
    )
    assert Paper.objects.count() == 2


def test_duplicate_page_lists_open_pairs_with_actions(organizer_client: Client, pair) -> None:
    html = organizer_client.get(DUPLICATES).content.decode()
    assert "EasyScale: Accuracy-consistent Elastic Training for Deep Learning" in html
    assert html.count("Merge, keep this title") == 2
    assert "Not the same paper" in html


@pytest.mark.parametrize("size", [1, 15])
def test_duplicate_page_query_count_is_fixed(
    organizer_client: Client, django_assert_num_queries, size: int
) -> None:
    for _ in range(size):
        _candidate(PaperFactory(), PaperFactory())
    with django_assert_num_queries(4):  # session, user, count, pairs with both papers
        organizer_client.get(DUPLICATES)


def test_duplicate_merge_one_click_with_htmx_swaps_the_row(organizer_client: Client, pair) -> None:
    url = reverse("papers:duplicate_merge", args=[pair.pk])
    response = organizer_client.post(url, {"keep": pair.paper_b_id}, headers={"HX-Request": "true"})
    html = response.content.decode().strip()
    assert html.startswith(f'<li class="candidate resolved" id="candidate-{pair.pk}"')
    assert "Merged into “EasyScale: Elastic Training" in html
    assert list(Paper.objects.values_list("pk", flat=True)) == [pair.paper_b_id]


def test_duplicate_merge_without_javascript_redirects_with_message(
    organizer_client: Client, pair
) -> None:
    url = reverse("papers:duplicate_merge", args=[pair.pk])
    response = organizer_client.post(url, {"keep": pair.paper_a_id}, follow=True)
    assert response.redirect_chain == [(DUPLICATES, 302)]
    assert "Merged into “EasyScale: Accuracy-consistent" in response.content.decode()


def test_duplicate_merge_double_click_merges_once(organizer_client: Client, pair) -> None:
    url = reverse("papers:duplicate_merge", args=[pair.pk])
    organizer_client.post(url, {"keep": pair.paper_a_id})
    second = organizer_client.post(url, {"keep": pair.paper_a_id}, headers={"HX-Request": "true"})
    assert "Someone already resolved this pair." in second.content.decode()
    assert Paper.objects.count() == 1
    assert Listing.objects.count() == 2


def test_duplicate_merge_with_forged_keep_changes_nothing(organizer_client: Client, pair) -> None:
    stranger = PaperFactory()
    url = reverse("papers:duplicate_merge", args=[pair.pk])
    response = organizer_client.post(url, {"keep": stranger.pk}, follow=True)
    assert "The paper to keep must be one of the pair." in response.content.decode()
    response = organizer_client.post(url, {"keep": "'; drop table"}, follow=True)
    assert "Choose which of the two papers to keep." in response.content.decode()
    assert Paper.objects.count() == 3


def test_duplicate_dismiss_keeps_both_and_hides_the_pair(organizer_client: Client, organizer, pair):
    url = reverse("papers:duplicate_dismiss", args=[pair.pk])
    response = organizer_client.post(url, headers={"HX-Request": "true"})
    assert "Marked as different papers." in response.content.decode()
    pair.refresh_from_db()
    assert (pair.status, pair.decided_by) == (CandidateStatus.DISMISSED, organizer)
    assert Paper.objects.count() == 2
    assert "No open duplicate candidates" in organizer_client.get(DUPLICATES).content.decode()
    again = organizer_client.post(url, headers={"HX-Request": "true"})
    assert "Someone already resolved this pair." in again.content.decode()


def test_dismissed_pair_is_not_proposed_again_on_reimport(pair) -> None:
    pair.status = CandidateStatus.DISMISSED
    pair.save()
    apply_import(_document(pair.paper_a.title, pair.paper_b.title), content_sha256="x")
    assert DuplicateCandidate.objects.get() == pair
    assert DuplicateCandidate.objects.get().status == CandidateStatus.DISMISSED


def test_merge_keeps_votes_and_notes_of_both(pair: DuplicateCandidate, member, other_member):
    keep, drop = pair.paper_a, pair.paper_b
    WantToRead.objects.create(user=member, paper=keep)
    WantToRead.objects.create(user=member, paper=drop)  # the same wish twice
    WantToRead.objects.create(user=other_member, paper=drop)
    Note.objects.create(author=member, paper=drop, body="Read §3 first.", body_html="")
    merge_papers(keep=keep, drop=drop)
    assert sorted(WantToRead.objects.values_list("user__username", "paper_id")) == [
        ("mira", keep.pk),
        ("otto", keep.pk),
    ]
    assert list(Note.objects.values_list("paper_id", "body")) == [(keep.pk, "Read §3 first.")]


def test_merge_of_two_scheduled_papers_is_refused_and_changes_nothing(
    pair, member, other_member
) -> None:
    session = Session.objects.create(starts_at=timezone.now() + timedelta(days=7), slot_count=2)
    Slot.objects.create(session=session, position=1, paper=pair.paper_a, presenter=member)
    Slot.objects.create(session=session, position=2, paper=pair.paper_b, presenter=other_member)
    with pytest.raises(MergeConflict, match="slot"):
        merge_papers(keep=pair.paper_a, drop=pair.paper_b)
    assert Paper.objects.count() == 2
    assert sorted(Slot.objects.values_list("paper_id", flat=True)) == sorted(
        [pair.paper_a_id, pair.paper_b_id]
    )
    assert DuplicateCandidate.objects.filter(pk=pair.pk).exists()
