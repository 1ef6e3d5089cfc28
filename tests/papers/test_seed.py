"""Seeding the catalogue from the three real reading lists in fixtures/."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from papers.models import DuplicateCandidate, Listing, Paper, ReadingList, Topic

pytestmark = pytest.mark.django_db

# Established by reading the documents (grep '^## ', '^@', '^[0-9]+\. \*\*', '^\s+- ',
# '^### ', '^[0-9]+\. \\\[' over fixtures/):
LITERATURE_REVIEW = ("Topics for Literature Review", 25, 42)
RESEARCH_SPACE = ("Research Space", 20, 208)
READING_LIST = ("Reading List", 14, 118)


def _paper(title_fragment: str) -> Paper:
    return Paper.objects.get(title__icontains=title_fragment)


def _topics_of(paper: Paper) -> set[tuple[str, str]]:
    return {
        (listing.topic.reading_list.name, listing.topic.name)
        for listing in paper.listings.select_related("topic__reading_list")
    }


@pytest.mark.parametrize("expected", [LITERATURE_REVIEW, RESEARCH_SPACE, READING_LIST])
def test_seed_imports_each_list_with_its_topics_and_entries(seeded, expected) -> None:
    name, topics, entries = expected
    reading_list = ReadingList.objects.get(name=name)
    assert reading_list.topics.count() == topics
    # Every entry is a listing; FlexLLM is listed twice in Research Space, under two topics.
    assert Listing.objects.filter(topic__reading_list=reading_list).count() == entries


def test_seed_topics_keep_document_order(seeded) -> None:
    rs = Topic.objects.filter(reading_list__name="Research Space").order_by("position")
    names = list(rs.values_list("name", flat=True))
    assert names[:3] == ["Cluster Scheduling", "Hybrid Parallelism", "Data Parallelism"]
    assert names[-1] == "Sparsity"
    lit = Topic.objects.filter(reading_list__name="Topics for Literature Review")
    assert lit.order_by("position").first().name == "Tensor Program Optimization"


def test_seed_section_counts_match_the_documents(seeded) -> None:
    # Counted with awk over the item lines under each heading.
    counts = dict(
        Topic.objects.with_paper_counts()
        .filter(reading_list__name="Research Space")
        .values_list("name", "paper_count")
    )
    assert counts["Cluster Scheduling"] == 18
    assert counts["Inference"] == 67
    assert counts["Training"] == 40
    assert counts["Sparsity"] == 1
    gitbook = dict(
        Topic.objects.with_paper_counts()
        .filter(reading_list__name="Reading List")
        .values_list("name", "paper_count")
    )
    assert gitbook["Serving Systems (& inference acceleration)"] == 15
    assert gitbook["Frameworks"] == 4


def test_seed_same_paper_in_three_lists_is_one_paper(seeded) -> None:
    # BibTeX "Punica: Multi-tenant lora serving" and Markdown "PUNICA: MULTI-TENANT LORA SERVING"
    punica = Paper.objects.get(title_key__contains="punica")
    assert _topics_of(punica) == {
        ("Topics for Literature Review", "Multi-Tenant LLM Service"),
        ("Research Space", "Inference"),
    }
    vllm = Paper.objects.get(short_name="vLLM")
    assert (
        vllm.title
        == "Efficient Memory Management for Large Language Model Serving with PagedAttention"
    )
    assert _topics_of(vllm) == {
        ("Research Space", "Inference"),
        ("Reading List", "Generative & LLMs"),
    }


def test_seed_latex_title_merges_with_plain_title(seeded) -> None:
    megascale = Paper.objects.get(title__startswith="MegaScale")
    assert (
        megascale.title
        == "MegaScale: Scaling large language model training to more than 10,000 GPUs"
    )
    assert ("Research Space", "Training") in _topics_of(megascale)
    assert ("Topics for Literature Review", "Robust Training") in _topics_of(megascale)


def test_seed_leading_article_does_not_split_a_paper(seeded) -> None:
    # "(ByteScheduler) A Generic …" and "Generic Communication Scheduler …" twice in the GitBook.
    paper = Paper.objects.get(short_name="ByteScheduler")
    assert _topics_of(paper) == {
        ("Research Space", "Training"),
        ("Reading List", "Parallelism & Distributed Systems"),
        ("Reading List", "Scheduling & Resource Management"),
    }


def test_seed_keeps_provenance_of_each_listing(seeded) -> None:
    listing = Listing.objects.get(paper__short_name="Gavel", topic__name="Cluster Scheduling")
    assert listing.topic.reading_list.source_name == "research-space.md"
    assert listing.raw_text.strip() == (
        "- *(Gavel) Heterogeneity-Aware Cluster Scheduling Policies for Deep Learning "
        "Workloads* (OSDI20)"
    )
    assert listing.line == 18


def test_seed_proposes_reworded_titles_as_duplicate_candidates(seeded) -> None:
    pairs = {
        frozenset((c.paper_a.title, c.paper_b.title))
        for c in DuplicateCandidate.objects.select_related("paper_a", "paper_b")
    }
    assert (
        frozenset(
            (
                "SLoRA: Scalable Serving of Thousands of LoRA Adapters",
                "S-LORA: SERVING THOUSANDS OF CONCURRENT LORA ADAPTERS",
            )
        )
        in pairs
    )
    assert (
        frozenset(
            (
                "EasyScale: Elastic Training with Consistent Accuracy and Improved Utilization "
                "on GPUs",
                "EasyScale: Accuracy-consistent Elastic Training for Deep Learning",
            )
        )
        in pairs
    )
    assert (
        frozenset(
            (
                "Paella: Low-latency Model Serving with Software-defined GPU Scheduling",
                "Paella: Low-latency Model Serving with Virtualized GPU Scheduling",
            )
        )
        in pairs
    )
    # Same short name, different papers: not proposed.
    synergy = {p.pk for p in Paper.objects.filter(title_key__contains="synergy")} | {
        Paper.objects.get(short_name="Synergy").pk
    }
    assert not DuplicateCandidate.objects.filter(paper_a__in=synergy, paper_b__in=synergy).exists()


def test_seed_twice_changes_nothing(seeded) -> None:
    before = (
        list(Paper.objects.values_list("pk", "title", "venue", "year", "updated_at")),
        list(Listing.objects.values_list("pk", "paper_id", "topic_id")),
        list(Topic.objects.values_list("pk", "name", "position")),
        list(DuplicateCandidate.objects.values_list("pk", "paper_a_id", "paper_b_id")),
    )
    out = io.StringIO()
    call_command("seed", stdout=out)
    after = (
        list(Paper.objects.values_list("pk", "title", "venue", "year", "updated_at")),
        list(Listing.objects.values_list("pk", "paper_id", "topic_id")),
        list(Topic.objects.values_list("pk", "name", "position")),
        list(DuplicateCandidate.objects.values_list("pk", "paper_a_id", "paper_b_id")),
    )
    assert after == before
    assert out.getvalue().count(" 0 new papers,") == 3


def test_seed_prints_a_summary_with_its_time(db) -> None:
    out = io.StringIO()
    call_command("seed", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("literature-review.md: 42 entries, 42 new papers,")
    assert lines[-1].startswith(f"Seeded 3 reading lists: {Paper.objects.count()} papers")
    assert lines[-1].endswith(" s.")
