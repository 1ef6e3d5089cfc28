from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from papers.parsing.base import SourceFormat
from papers.parsing.gitbook import parse_gitbook, split_front_matter

# fixtures/reading-list.md: counts established from the file, not from the parser:
#   grep -cE '^[0-9]+\. \\\[' fixtures/reading-list.md   -> 118 items
#   grep -c '^### ' fixtures/reading-list.md              -> 14 sections
#   awk '/^### /{s=$0} /^[0-9]+\. \\\[/{c[s]++} END{for(k in c) print c[k], k}' -> per section
# (each section's items are also numbered 1..N, so N is the last number under each heading)
READING_LIST_SECTIONS = {
    "LLM and GPU Cluster": 10,
    "Heterogenous GPU Cluster": 10,
    "Generative & LLMs": 7,
    "Serving Systems (& inference acceleration)": 15,
    "Parallelism & Distributed Systems": 17,
    "GPU Cluster Management": 11,
    "Memory Management for Machine Learning": 10,
    "Scheduling & Resource Management": 13,
    "Deep Learning Compiler": 2,
    "Hardware Support for ML": 2,
    "Deep Learning Recommendation Models": 12,
    "ML at Mobile & Embedded Systems": 3,
    "ML Techniques for Systems": 2,
    "Frameworks": 4,
}


@pytest.fixture
def reading_list(fixtures_dir: Path):
    text = (fixtures_dir / "reading-list.md").read_text(encoding="utf-8")
    return parse_gitbook(text, "reading-list.md")


def _by_line(document, line: int):
    [entry] = [e for e in document.entries if e.line == line]
    return entry


def test_gitbook_reading_list_counts(reading_list):
    assert reading_list.format == SourceFormat.GITBOOK
    assert reading_list.title == "Reading List"
    assert reading_list.problems == []
    assert len(reading_list.entries) == 118
    assert reading_list.topics == list(READING_LIST_SECTIONS)
    assert Counter(e.topic for e in reading_list.entries) == READING_LIST_SECTIONS


def test_gitbook_lines_count_front_matter(reading_list, fixtures_dir):
    lines = (fixtures_dir / "reading-list.md").read_text(encoding="utf-8").splitlines()
    assert reading_list.entries[0].line == 20
    for entry in reading_list.entries:
        assert lines[entry.line - 1] == entry.raw


def test_gitbook_escaped_bracket_venue(reading_list):
    first = _by_line(reading_list, 20)
    assert first.title == "Demystifying Cost-Efficiency in LLM Serving over Heterogeneous GPUs"
    assert (first.venue, first.year, first.topic) == ("arXiv", 2025, "LLM and GPU Cluster")


@pytest.mark.parametrize(
    ("line", "venue", "year"),
    [
        (25, "e-Energy", 2024),  # e-Energy '24
        (29, "IEEE Micro", 2024),  # IEEE Micro 24
        (37, "Journal of Supercomputing", 2024),
        (39, "USENIX", 2024),
        (41, "IEEE", 2023),
        (77, "SC", 2021),  # SC '21' (stray closing quote)
        (81, "NeurIPS", 2019),  # NeurIPS '19
        (85, "arXiv", 2018),  # arXiv '18
        (90, "NeurIPS", 2012),  # NIPS '12
        (128, "OSDI", 2020),  # OSDI' 20
        (110, "MobiSys", 2022),
    ],
)
def test_gitbook_venue_tags(reading_list, line, venue, year):
    entry = _by_line(reading_list, line)
    assert (entry.venue, entry.year) == (venue, year)


def test_gitbook_chimera_with_stray_quote(reading_list):
    chimera = _by_line(reading_list, 77)
    assert chimera.title == (
        "Chimera: Efficiently Training Large-Scale Neural Networks with Bidirectional Pipelines"
    )


def test_gitbook_mnnfast_footer_junk_removed(reading_list):
    mnnfast = _by_line(reading_list, 66)
    assert mnnfast.title == (
        "MnnFast: a fast and scalable system architecture for memory-augmented neural networks"
    )
    assert (mnnfast.venue, mnnfast.year) == ("ISCA", 2019)


def test_gitbook_trailing_period_and_unicode_hyphen(reading_list):
    assert _by_line(reading_list, 34).title == (
        "Adaptive Asynchronous Work-Stealing for distributed load-balancing in heterogeneous "
        "systems"
    )
    assert _by_line(reading_list, 37).title.startswith("LBB: load\u2010balanced batching")


def test_gitbook_parentheses_inside_title_are_not_a_short_name(reading_list):
    het_pipe = _by_line(reading_list, 80)
    assert het_pipe.short_name == ""
    assert "(Whimpy)" in het_pipe.title


def test_gitbook_micro_sign_kept_in_title(reading_list):
    assert _by_line(reading_list, 67).title.startswith("µLayer: Low Latency")


def test_gitbook_front_matter_title_used_without_heading():
    text = "---\ntitle: Team Papers\nlayout:\n  title:\n    visible: true\n---\n\n### **S**\n\n1. \\[OSDI '20] A Paper\n"  # noqa: E501
    document = parse_gitbook(text, "page.md")
    assert document.title == "Team Papers"
    [entry] = document.entries
    assert (entry.line, entry.topic, entry.venue, entry.year) == (10, "S", "OSDI", 2020)


def test_gitbook_indented_layout_title_is_not_the_document_title():
    text = "---\nlayout:\n  title:\n    visible: true\n---\n### S\n1. \\[OSDI '20] A Paper\n"
    assert parse_gitbook(text, "dir/page.md").title == "page"


def test_gitbook_items_without_section_go_under_title():
    document = parse_gitbook("# My Page\n\n1. \\[SOSP '19] Paper\n", "p.md")
    assert document.topics == ["My Page"]
    assert document.entries[0].topic == "My Page"


def test_gitbook_unreadable_bracket_item_is_a_problem():
    text = "# L\n### S\n1. \\[OSDI '20] Good\n2. \\[SOSP '19 unclosed bracket title\n"
    document = parse_gitbook(text, "p.md")
    assert [e.title for e in document.entries] == ["Good"]
    [problem] = document.problems
    assert problem.line == 4
    assert "line 4" in problem.message


def test_gitbook_linked_title():
    document = parse_gitbook("### S\n1. \\[OSDI '22] [Orca](https://example.org/orca)\n", "p.md")
    [entry] = document.entries
    assert (entry.title, entry.url) == ("Orca", "https://example.org/orca")


def test_split_front_matter_absent_or_unclosed():
    assert split_front_matter("# Title\n") == ("", 0)
    assert split_front_matter("---\ntitle: x\n") == ("", 0)
    text = "---\ntitle: x\n---\nbody"
    assert split_front_matter(text) == ("title: x\n", text.index("body"))
