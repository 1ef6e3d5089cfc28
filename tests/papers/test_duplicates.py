"""Duplicate candidates: found at import, reviewed and merged or dismissed by organizers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from papers import duplicates
from papers.importing import apply_import
from papers.merging import MergeConflict, merge_papers
from papers.models import CandidateStatus, DuplicateCandidate, Listing, Paper, PaperAlias
from papers.parsing.base import ParsedDocument, ParsedEntry, SourceFormat
from papers.tasks import search_duplicates
from readinggroup.models import Note, OutboxMessage, Slot, WantToRead
from tests.factories import ListingFactory, PaperFactory, SessionFactory, present

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
    PaperFactory.create_batch(size, duplicate_search_pending=True)
    # session, user, papers still being searched, count, pairs with both papers
    with django_assert_num_queries(5):
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
    session = SessionFactory(slot_count=2)
    present(session.slots.get(position=1), member, pair.paper_a)
    present(session.slots.get(position=2), other_member, pair.paper_b)
    with pytest.raises(MergeConflict, match="slot"):
        merge_papers(keep=pair.paper_a, drop=pair.paper_b)
    assert Paper.objects.count() == 2
    assert sorted(Slot.objects.values_list("paper_id", flat=True)) == sorted(
        [pair.paper_a_id, pair.paper_b_id]
    )
    assert DuplicateCandidate.objects.filter(pk=pair.pk).exists()


# --- the search a big import leaves to the background ----------------------------------

SLORA = "SLoRA: Scalable Serving of Thousands of LoRA Adapters"
SLORA_AGAIN = "S-LORA: SERVING THOUSANDS OF CONCURRENT LORA ADAPTERS"
PUNICA = "Punica: Multi-Tenant LoRA Serving"
PUNICA_AGAIN = "Punica: Multi-Tenant LoRA Adapter Serving at Scale"


def _pair(a: str, b: str, status: str = CandidateStatus.OPEN) -> tuple[str, str, str]:
    return (*sorted([a, b]), status)


def _pairs() -> set[tuple[str, str, str]]:
    return {
        _pair(c.paper_a.title, c.paper_b.title, c.status)
        for c in DuplicateCandidate.objects.select_related("paper_a", "paper_b")
    }


def test_import_above_the_inline_limit_marks_papers_pending_and_enqueues_the_search(
    monkeypatch,
) -> None:
    monkeypatch.setattr(duplicates, "INLINE_SEARCH_LIMIT", 2)
    PaperFactory(title=SLORA)
    report = apply_import(
        _document(SLORA_AGAIN, PUNICA, "Tiresias: A GPU Cluster Manager"), content_sha256="x"
    )
    assert (report.papers_created, report.candidates_created) == (3, 0)
    assert report.duplicate_search_pending
    assert "the search for duplicate candidates runs in the background" in report.summary()
    assert not DuplicateCandidate.objects.exists()
    assert Paper.objects.duplicate_search_pending().count() == 3
    [message] = OutboxMessage.objects.all()
    assert (message.task_name, message.kwargs) == ("papers.search_duplicates", {})


def test_import_at_the_inline_limit_searches_itself(monkeypatch) -> None:
    monkeypatch.setattr(duplicates, "INLINE_SEARCH_LIMIT", 1)
    PaperFactory(title=SLORA)
    report = apply_import(_document(SLORA_AGAIN), content_sha256="x")
    assert (report.candidates_created, report.duplicate_search_pending) == (1, False)
    assert not Paper.objects.duplicate_search_pending().exists()
    assert not OutboxMessage.objects.exists()


def test_background_search_pairs_pending_papers_with_each_other_and_the_catalogue() -> None:
    PaperFactory(title=SLORA)
    PaperFactory(title=PUNICA)
    PaperFactory(title=SLORA_AGAIN, duplicate_search_pending=True)
    PaperFactory(title=PUNICA_AGAIN, duplicate_search_pending=True)
    PaperFactory(title="Tiresias: A GPU Cluster Manager", duplicate_search_pending=True)
    assert duplicates.search_pending() == 2
    assert _pairs() == {
        _pair(SLORA_AGAIN, SLORA, CandidateStatus.OPEN),
        _pair(PUNICA, PUNICA_AGAIN, CandidateStatus.OPEN),
    }
    assert not Paper.objects.duplicate_search_pending().exists()
    assert duplicates.search_pending() == 0  # run again (a message sent twice): nothing new
    assert DuplicateCandidate.objects.count() == 2


def test_background_search_finds_pairs_among_the_pending_papers_themselves() -> None:
    PaperFactory(title=PUNICA, duplicate_search_pending=True)
    PaperFactory(title=PUNICA_AGAIN, duplicate_search_pending=True)
    assert duplicates.search_pending() == 1
    assert _pairs() == {_pair(PUNICA, PUNICA_AGAIN, CandidateStatus.OPEN)}


def test_background_search_keeps_a_pair_already_decided() -> None:
    # A merge moves decisions onto the kept paper, which may still be pending.
    searched = PaperFactory(title=SLORA)
    pending = PaperFactory(title=SLORA_AGAIN, duplicate_search_pending=True)
    decided = _candidate(searched, pending)
    decided.status = CandidateStatus.DISMISSED
    decided.save()
    assert duplicates.search_pending() == 0
    assert _pairs() == {_pair(SLORA_AGAIN, SLORA, CandidateStatus.DISMISSED)}


def test_small_import_leaves_papers_still_pending_to_their_own_search() -> None:
    PaperFactory(title=SLORA, duplicate_search_pending=True)
    report = apply_import(_document(SLORA_AGAIN), content_sha256="x")
    assert report.candidates_created == 0  # the pending paper's search will compare them
    assert duplicates.search_pending() == 1
    assert _pairs() == {_pair(SLORA_AGAIN, SLORA, CandidateStatus.OPEN)}


def test_background_search_task_runs_the_search() -> None:
    PaperFactory(title=PUNICA)
    PaperFactory(title=PUNICA_AGAIN, duplicate_search_pending=True)
    assert search_duplicates.apply().get() == 1
    assert _pairs() == {_pair(PUNICA, PUNICA_AGAIN, CandidateStatus.OPEN)}


def test_duplicate_page_while_a_search_runs_says_so_and_polls(organizer_client: Client) -> None:
    PaperFactory(title=PUNICA)
    PaperFactory(title=PUNICA_AGAIN, duplicate_search_pending=True)
    page = organizer_client.get(DUPLICATES)
    html = page.content.decode()
    assert "Looking for duplicates among 1 recently imported paper" in html
    assert f'hx-get="{DUPLICATES}?status=1" hx-trigger="every 3s"' in html
    assert f'<a href="{DUPLICATES}">reload the page</a>' in html  # without JavaScript
    assert "No open duplicate candidates" not in html and "taking longer" not in html
    assert "HX-Request" in page["Vary"]

    htmx = {"HX-Request": "true"}
    poll = organizer_client.get(DUPLICATES, {"status": 1}, headers=htmx)
    assert poll.content.decode().lstrip().startswith('<div id="search-status"')
    assert "Looking for duplicates among 1" in poll.content.decode()
    assert "HX-Trigger" not in poll  # the list below stays as it is while the search runs

    duplicates.search_pending()
    done = organizer_client.get(DUPLICATES, {"status": 1}, headers=htmx)
    assert done["HX-Trigger"] == "duplicates-found"  # the list reloads once
    assert "Looking for duplicates" not in done.content.decode()
    assert "hx-trigger" not in done.content.decode()  # and the polling stops
    results = organizer_client.get(DUPLICATES, headers=htmx).content.decode()
    assert results.lstrip().startswith('<div id="results"') and "<html" not in results
    assert PUNICA_AGAIN in results and results.count("Merge, keep this title") == 2


def test_duplicate_page_says_when_a_search_looks_stuck(organizer_client: Client) -> None:
    paper = PaperFactory(title=PUNICA_AGAIN, duplicate_search_pending=True)
    Paper.objects.filter(pk=paper.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    html = organizer_client.get(DUPLICATES).content.decode()
    assert "(imported 20\xa0minutes ago)" in html
    assert "This is taking longer than it should" in html
    assert 'hx-trigger="every 60s"' in html  # asks less often


def _searching_or_merging(action: str) -> Callable[[], object]:
    """One of the things that must wait while another holds the search lock."""
    PaperFactory(title=PUNICA)
    pending = PaperFactory(title=PUNICA_AGAIN, duplicate_search_pending=True)
    if action == "search":
        return duplicates.search_pending
    if action == "import":
        return lambda: apply_import(_document(SLORA_AGAIN), content_sha256="x")
    keep = PaperFactory(title=SLORA)
    return lambda: merge_papers(keep=keep, drop=pending)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks need PostgreSQL")
@pytest.mark.parametrize("action", ["search", "import", "merge"])
def test_search_import_and_merge_wait_while_a_search_holds_the_lock(action: str) -> None:
    # Else a small import could miss a big one's pending papers, and the background
    # search the small import's papers, for good. (SQLite runs writers one at a time.)
    run = _searching_or_merging(action)
    locked, release = threading.Event(), threading.Event()
    done: list[object] = []

    def holder() -> None:
        try:
            with transaction.atomic():
                duplicates.search_lock()
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    def waiter() -> None:
        try:
            done.append(run())
        finally:
            connections.close_all()

    first = threading.Thread(target=holder)
    first.start()
    assert locked.wait(10)
    second = threading.Thread(target=waiter)
    second.start()
    second.join(0.5)
    try:
        assert second.is_alive() and not done  # waits for the lock
    finally:
        release.set()
        first.join(10)
        second.join(10)
    assert len(done) == 1  # and then runs


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks need PostgreSQL")
def test_two_background_searches_at_once_store_each_pair_once() -> None:
    PaperFactory(title=PUNICA)
    PaperFactory(title=PUNICA_AGAIN, duplicate_search_pending=True)
    PaperFactory(title=SLORA_AGAIN, duplicate_search_pending=True)
    PaperFactory(title=SLORA)
    barrier = threading.Barrier(2)
    found: list[int] = []

    def search() -> None:
        try:
            barrier.wait(10)
            found.append(duplicates.search_pending())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=search) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(found) == [0, 2]  # the second waits for the first and finds none left
    assert DuplicateCandidate.objects.count() == 2
