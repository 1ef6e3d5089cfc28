from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from papers.parsing.base import SourceFormat
from papers.parsing.markdown_bibtex import parse_markdown_bibtex
from papers.parsing.markdown_list import parse_markdown_list

# ---------------------------------------------------------------------------------------------
# fixtures/literature-review.md: Markdown with `##` topics and fenced BibTeX.
# Counts established from the file itself, not from the parser:
#   grep -c '^@' fixtures/literature-review.md      -> 42 entries
#   grep -c '^## ' fixtures/literature-review.md    -> 25 topics
#   awk '/^## /{s=substr($0,4)} /^@/{c[s]++} END{for(k in c) print c[k], k}' -> per topic
# ---------------------------------------------------------------------------------------------
LITERATURE_REVIEW_TOPICS = {
    "Tensor Program Optimization": 2,
    "Beyond Transformer Architecture": 1,
    "NPU Architecture": 1,
    "TPU Architecture": 2,
    "Collective Communication Optimization": 2,
    "In Network Aggregation": 2,
    "Fairness in ML Service": 2,
    "Multi-Tenant LLM Service": 2,
    "Data Parallel System Optimization": 2,
    "Data Parallel Algorithmic Optimization - Gradient Compression": 2,
    "Data Parallel Algorithmic Optimization - Asynchronous Training": 1,
    "Data Parallel Algorithmic Optimization - Decentralized Communication": 1,
    "Pipeline Parallel System Optimization": 2,
    "Tensor Model Parallel System Optimization": 1,
    "Optimizer Parallel System Optimization": 1,
    "Long Sequence Parallel Training": 2,
    "Mixture of Expert Parallel Training": 2,
    "Offloading Training System": 1,
    "Auto Parallelism": 2,
    "Robust Training": 2,
    "LLM Inference - Weight and Activation Compression": 2,
    "LLM Inference KV Cache Compression": 2,
    "LLM Speculative and Parallel Decoding": 2,
    "Offloading Inference System": 1,
    "Disaggregate Generative Inference": 2,
}

# ---------------------------------------------------------------------------------------------
# fixtures/research-space.md: numbered bold categories with `- *Title* (VenueYY)` items.
#   grep -cE '^\s*- ' fixtures/research-space.md            -> 208 items (the FastDecode
#       continuation line does not start with "-"; the Philly item does)
#   grep -c '^[0-9]*\. \*\*' fixtures/research-space.md     -> 20 categories
#   awk '/^[0-9]+\. \*\*/{s=$0} /^[ ]*- /{c[s]++} END{for(k in c) print c[k], k}' -> per category
# ---------------------------------------------------------------------------------------------
RESEARCH_SPACE_TOPICS = {
    "Cluster Scheduling": 18,
    "Hybrid Parallelism": 10,
    "Data Parallelism": 3,
    "Tensor Parallelism": 3,
    "Pipeline": 11,
    "Graph Optimization": 6,
    "Co-location": 3,
    "Memory/Cache Storage": 12,
    "AI Compilation": 5,
    "Training Hyperparameters": 2,
    "Communication": 3,
    "Training": 40,
    "Inference": 67,
    "Cluster Trace Analysis": 3,
    "Serverless": 1,
    "HPC": 1,
    "Performance Modeling": 10,
    "Survey": 4,
    "Quantization": 5,
    "Sparsity": 1,
}


@pytest.fixture
def literature_review(fixtures_dir: Path):
    text = (fixtures_dir / "literature-review.md").read_text(encoding="utf-8")
    return parse_markdown_bibtex(text, "literature-review.md")


@pytest.fixture
def research_space(fixtures_dir: Path):
    text = (fixtures_dir / "research-space.md").read_text(encoding="utf-8")
    return parse_markdown_list(text, "research-space.md")


def _by_line(document, line: int):
    [entry] = [e for e in document.entries if e.line == line]
    return entry


# --- Markdown with BibTeX blocks --------------------------------------------------------------


def test_markdown_bibtex_literature_review_counts(literature_review):
    assert literature_review.format == SourceFormat.MARKDOWN_BIBTEX
    assert literature_review.title == "Topics for Literature Review"
    assert literature_review.problems == []
    assert len(literature_review.entries) == 42
    assert literature_review.topics == list(LITERATURE_REVIEW_TOPICS)
    assert Counter(e.topic for e in literature_review.entries) == LITERATURE_REVIEW_TOPICS


def test_markdown_bibtex_literature_review_lines_point_at_entries(literature_review, fixtures_dir):
    lines = (fixtures_dir / "literature-review.md").read_text(encoding="utf-8").splitlines()
    for entry in literature_review.entries:
        assert lines[entry.line - 1] == f"@{entry.entry_type}{{{entry.citation_key},"
        assert entry.raw.startswith(lines[entry.line - 1])


def test_markdown_bibtex_latex_braces_in_titles(literature_review):
    by_key = {e.citation_key: e for e in literature_review.entries}
    assert by_key["lao2021atp"].title == "ATP: In-network aggregation for multi-tenant learning"
    assert by_key["jiang2024megascale"].title == (
        "MegaScale: Scaling large language model training to more than 10,000 GPUs"
    )
    assert by_key["jiang2020unified"].title == (
        "A unified architecture for accelerating distributed DNN training in heterogeneous "
        "GPU/CPU clusters"
    )
    assert by_key["zhong2024distserve"].title.startswith("DistServe: Disaggregating Prefill")


def test_markdown_bibtex_fields_of_known_entries(literature_review):
    by_key = {e.citation_key: e for e in literature_review.entries}
    mamba = by_key["gu2023mamba"]
    assert (mamba.topic, mamba.venue, mamba.year) == (
        "Beyond Transformer Architecture",
        "arXiv",
        2023,
    )
    assert mamba.url == "https://arxiv.org/abs/2312.00752"
    sapio = by_key["sapio2021scaling"]
    assert sapio.authors.endswith("Dan Ports, Peter Richtárik")
    assert sapio.venue == "NSDI"
    assert by_key["patel2024splitwise"].authors.startswith("Pratyush Patel, Esha Choukse")
    assert "Íñigo Goiri" in by_key["patel2024splitwise"].authors
    assert by_key["norrie2021design"].venue == "IEEE Micro"
    assert by_key["li13pytorch"].year is None  # the entry has no year field
    assert by_key["caimedusa"].venue == "ICML"
    assert by_key["sheng2024fairness"].pages == "965-988"


def test_markdown_bibtex_entries_before_first_heading_go_under_title():
    text = "# My List\n\n```bibtex\n@misc{a, title={Loose}}\n```\n\n## Topic\n\n```\n@misc{b, title={B}}\n```\n"  # noqa: E501
    document = parse_markdown_bibtex(text, "x.md")
    assert document.topics == ["My List", "Topic"]
    assert [(e.topic, e.line) for e in document.entries] == [("My List", 4), ("Topic", 10)]


def test_markdown_bibtex_broken_entry_reports_document_line():
    text = (
        "# L\n\n## T\n\n```latex\n@misc{ok, title={OK}}\n\n"
        "@misc{bad,\n  title={Unbalanced {brace},\n}\n```\n\n"
        "## U\n\n```\n@misc{c, title={C}}\n```\n"
    )
    document = parse_markdown_bibtex(text, "l.md")
    assert [e.citation_key for e in document.entries] == ["ok", "c"]
    [problem] = document.problems
    assert problem.line == 8
    assert "'bad'" in problem.message


def test_markdown_bibtex_unclosed_fence_is_reported():
    document = parse_markdown_bibtex("## T\n\n```\n@misc{a, title={A}}\n", "f.md")
    assert [e.title for e in document.entries] == ["A"]
    assert document.problems[0].line == 3
    assert "never closed" in document.problems[0].message


def test_markdown_bibtex_entry_outside_fence_is_reported():
    document = parse_markdown_bibtex("## T\n\n@misc{a, title={A}}\n", "f.md")
    assert document.entries == []
    assert document.problems[0].line == 3


def test_markdown_bibtex_title_falls_back_to_filename():
    document = parse_markdown_bibtex("## T\n```\n@misc{a, title={A}}\n```\n", "dir/papers.md")
    assert document.title == "papers"


# --- Markdown list ----------------------------------------------------------------------------


def test_markdown_list_research_space_counts(research_space):
    assert research_space.format == SourceFormat.MARKDOWN_LIST
    assert research_space.title == "Research Space"
    assert research_space.problems == []
    assert len(research_space.entries) == 208
    assert research_space.topics == list(RESEARCH_SPACE_TOPICS)
    assert Counter(e.topic for e in research_space.entries) == RESEARCH_SPACE_TOPICS


def test_markdown_list_short_name_gavel(research_space):
    gavel = _by_line(research_space, 18)
    assert gavel.short_name == "Gavel"
    assert gavel.title == (
        "Heterogeneity-Aware Cluster Scheduling Policies for Deep Learning Workloads"
    )
    assert (gavel.venue, gavel.year, gavel.topic) == ("OSDI", 2020, "Cluster Scheduling")
    assert gavel.raw == (
        "    - *(Gavel) Heterogeneity-Aware Cluster Scheduling Policies for Deep Learning "
        "Workloads* (OSDI20)"
    )


def test_markdown_list_item_wrapped_over_two_lines(research_space):
    fast_decode = _by_line(research_space, 165)
    assert fast_decode.title == (
        "FastDecode: High-Throughput GPU-Efficient LLM Serving using Heterogeneous Pipelines"
    )
    assert (fast_decode.venue, fast_decode.year) == ("arXiv", 2024)
    assert fast_decode.raw.count("\n") == 1
    assert _by_line(research_space, 167).short_name == "FastServe"


def test_markdown_list_missing_leading_asterisk(research_space):
    philly = _by_line(research_space, 214)
    assert philly.short_name == "Philly"
    assert (
        philly.title
        == "Analysis of Large-Scale Multi-Tenant GPU Clusters for DNN Training Workloads"
    )
    assert (philly.venue, philly.year, philly.topic) == ("ATC", 2019, "Cluster Trace Analysis")


def test_markdown_list_stray_words_after_venue(research_space):
    byte_checkpoint = _by_line(research_space, 76)
    assert byte_checkpoint.title == (
        "ByteCheckpoint: A Unified Checkpointing System for LLM Development"
    )
    assert (byte_checkpoint.venue, byte_checkpoint.year) == ("arXiv", 2024)


def test_markdown_list_venue_spellings(research_space):
    assert (_by_line(research_space, 34).venue, _by_line(research_space, 34).year) == (
        "NeurIPS",
        2022,
    )
    assert _by_line(research_space, 64).venue == "SysML"
    assert _by_line(research_space, 130).venue == "ATC"  # (atc24)
    assert _by_line(research_space, 119).venue == "VLDB"


def test_markdown_list_unknown_venue_x(research_space):
    dist_belief = _by_line(research_space, 95)
    assert (dist_belief.short_name, dist_belief.title) == (
        "DistBelief",
        "Large Scale Distributed Deep Networks",
    )
    assert (dist_belief.venue, dist_belief.year) == ("", None)


def test_markdown_list_titles_with_parentheses_and_double_spaces(research_space):
    int8 = _by_line(research_space, 239)
    assert (int8.short_name, int8.title) == (
        "",
        "LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale",
    )
    jit = _by_line(research_space, 79)
    assert (jit.short_name, jit.title) == (
        "JIT-ckpt",
        "Just-In-Time Checkpointing: Low Cost Error Recovery from Deep Learning Training Failures",
    )
    assert _by_line(research_space, 17).title == (
        "Gandiva: Introspective Cluster Scheduling for Deep Learning"
    )
    assert _by_line(research_space, 232).short_name == "DLSched survey"
    mu_serve = _by_line(research_space, 210)
    assert (mu_serve.short_name, mu_serve.title) == (
        "μ-Serve",
        "Power-aware Deep Learning Model Serving with μ-Serve",
    )


def test_markdown_list_blank_lines_and_indentation_inside_category(research_space):
    survey = [e.line for e in research_space.entries if e.topic == "Survey"]
    assert survey == [232, 234, 235, 236]
    assert next(e.line for e in research_space.entries if e.topic == "AI Compilation") == 89


def test_markdown_list_category_without_colon(research_space):
    [pit] = [e for e in research_space.entries if e.topic == "Sparsity"]
    assert pit.title.startswith("PIT: Optimization of Dynamic Sparse")
    assert (pit.venue, pit.year) == ("SOSP", 2023)


def test_markdown_list_same_title_twice_in_a_topic_is_kept():
    text = "1. **T**:\n  - *Same Paper* (OSDI20)\n  - *Same Paper* (OSDI20)\n"
    document = parse_markdown_list(text, "dups.md")
    assert [e.line for e in document.entries] == [2, 3]


def test_markdown_list_unparseable_item_is_a_problem():
    text = "# L\n1. **T**:\n  - *Good* (OSDI20)\n  - just some words\n"
    document = parse_markdown_list(text, "bad.md")
    assert [e.title for e in document.entries] == ["Good"]
    [problem] = document.problems
    assert problem.line == 4
    assert "line 4" in problem.message


def test_markdown_list_link_titles_and_items_without_category():
    text = "- *[Linked Title](https://example.org/p)* (SOSP23)\n"
    document = parse_markdown_list(text, "links.md")
    [entry] = document.entries
    assert (entry.title, entry.url, entry.topic) == (
        "Linked Title",
        "https://example.org/p",
        "links",
    )
    assert document.topics == ["links"]


def test_markdown_list_headings_as_topics_and_empty_sections_are_not_topics():
    text = (
        "# L\n\n###### Content\n\n## Serving\n\n- *A* (OSDI20)\n\n"
        "## Empty\n\n1. **Cat**:\n- *B* (SOSP19)\n"
    )
    document = parse_markdown_list(text, "h.md")
    assert document.topics == ["Serving", "Cat"]
    assert [(e.title, e.topic) for e in document.entries] == [("A", "Serving"), ("B", "Cat")]
