from __future__ import annotations

import time
from pathlib import Path

import pytest

from papers.parsing.base import SourceFormat, UnreadableFile
from papers.parsing.detect import detect_format, parse_document

SEEDS = {
    # file: (format, entries, topics) -- counts established with grep, see the parser tests
    "literature-review.md": (SourceFormat.MARKDOWN_BIBTEX, 42, 25),
    "research-space.md": (SourceFormat.MARKDOWN_LIST, 208, 20),
    "reading-list.md": (SourceFormat.GITBOOK, 118, 14),
}


@pytest.mark.parametrize("name", SEEDS)
def test_parse_document_detects_real_documents(fixtures_dir: Path, name: str):
    document = parse_document(name, (fixtures_dir / name).read_bytes())
    source_format, entries, topics = SEEDS[name]
    assert document.format == source_format
    assert document.filename == name
    assert len(document.entries) == entries
    assert len(document.topics) == topics
    assert document.problems == []


def test_parse_document_detects_by_content_not_extension(fixtures_dir: Path):
    data = (fixtures_dir / "research-space.md").read_bytes()
    assert parse_document("notes.txt", data).format == SourceFormat.MARKDOWN_LIST
    data = (fixtures_dir / "literature-review.md").read_bytes()
    assert parse_document("lit.bib", data).format == SourceFormat.MARKDOWN_BIBTEX


def test_parse_document_seeding_all_three_is_fast(fixtures_dir: Path):
    start = time.perf_counter()
    for name in SEEDS:
        parse_document(name, (fixtures_dir / name).read_bytes())
    assert time.perf_counter() - start < 1.0


def test_parse_document_plain_bibtex_gets_one_topic_from_filename():
    data = b"@article{a, title={First}, year={2020}}\n\n@misc{b, title={Second}}\n"
    document = parse_document("uploads/Team Refs.bib", data)
    assert document.format == SourceFormat.BIBTEX
    assert document.title == "Team Refs"
    assert document.topics == ["Team Refs"]
    assert [(e.title, e.topic) for e in document.entries] == [
        ("First", "Team Refs"),
        ("Second", "Team Refs"),
    ]


def test_parse_document_plain_bibtex_without_bib_extension():
    document = parse_document("refs.txt", b"% my refs\n@misc{a, title={Only}}\n")
    assert document.format == SourceFormat.BIBTEX


def test_parse_document_accepts_utf8_bom_and_crlf():
    data = "\ufeff# L\r\n\r\n1. **Topic**:\r\n  - *Mélange: Paper* (OSDI20)\r\n".encode()
    document = parse_document("bom.md", data)
    assert document.title == "L"
    [entry] = document.entries
    assert (entry.title, entry.line, entry.topic) == ("Mélange: Paper", 4, "Topic")


def test_parse_document_unbalanced_braces_returns_valid_entries_and_problem():
    data = (
        b"@misc{ok, title={OK}}\n\n"
        b"@misc{bad,\n  title={Open {brace},\n}\n\n"
        b"@misc{ok2, title={OK2}}\n"
    )
    document = parse_document("broken.bib", data)
    assert [e.citation_key for e in document.entries] == ["ok", "ok2"]
    [problem] = document.problems
    assert problem.line == 3
    assert "'bad'" in problem.message and "line 3" in problem.message


def test_parse_document_entry_without_title_and_duplicate_key():
    data = b"@misc{a, title={A}}\n@misc{notitle, year={2020}}\n@misc{a, title={Again}}\n"
    document = parse_document("refs.bib", data)
    assert [e.title for e in document.entries] == ["A"]
    messages = [p.message for p in document.problems]
    assert messages == [
        "BibTeX entry 'notitle' (line 2) has no title; it was skipped.",
        "duplicate BibTeX key 'a' (line 3); the first entry was kept.",
    ]


@pytest.mark.parametrize("data", [b"", b"   \n\t\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf  \n"])
def test_parse_document_empty_file(data: bytes):
    with pytest.raises(UnreadableFile, match=r"^empty\.md is empty\.$"):
        parse_document("empty.md", data)


def test_parse_document_too_big_names_size_and_limit():
    data = b"- *Paper* (OSDI20)\n" * 100
    with pytest.raises(UnreadableFile) as excinfo:
        parse_document("huge.md", data, max_bytes=1000)
    message = str(excinfo.value)
    assert message.startswith("huge.md is too big")
    assert f"{len(data)} bytes" in message
    assert "1000 bytes" in message


def test_parse_document_default_limit_is_5_mb():
    with pytest.raises(UnreadableFile, match=r"huge\.bib.*5\.0 MB"):
        parse_document("huge.bib", b"x" * (5 * 1024 * 1024 + 1))


def test_parse_document_binary_file():
    with pytest.raises(UnreadableFile, match=r"^photo\.png is a binary file"):
        parse_document("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_parse_document_not_utf8_names_offset_and_line():
    data = b"# Liste\n\n- *Caf" + b"\xe9* (OSDI20)\n"  # Latin-1 é
    with pytest.raises(UnreadableFile) as excinfo:
        parse_document("latin1.md", data)
    message = str(excinfo.value)
    assert message.startswith("latin1.md is not UTF-8")
    assert "byte offset 15" in message
    assert "line 3" in message


def test_parse_document_utf16_is_explained():
    with pytest.raises(UnreadableFile, match=r"^w\.bib is UTF-16"):
        parse_document("w.bib", "@misc{a, title={A}}".encode("utf-16"))


def test_parse_document_unknown_format():
    with pytest.raises(UnreadableFile, match=r"^notes\.md is not a reading list"):
        parse_document("notes.md", b"# Notes\n\nJust some prose about papers.\n")


def test_parse_document_front_matter_without_items_is_unknown():
    with pytest.raises(UnreadableFile, match=r"^page\.md"):
        parse_document("page.md", b"---\nicon: book\n---\n\n# Reading List\n\nNothing yet.\n")


def test_parse_document_bibtex_with_only_strings_has_no_papers():
    with pytest.raises(UnreadableFile, match=r"^s\.bib"):
        parse_document("s.bib", b'@string{osdi = "OSDI"}\n@comment{nothing}\n')


def test_detect_format_bibtex_in_fences_with_headings():
    text = "# T\n## A\n```\n@misc{a, title={A}}\n```\n"
    assert detect_format("t.md", text) == SourceFormat.MARKDOWN_BIBTEX


def test_detect_format_gitbook_without_front_matter():
    assert detect_format("r.md", "### S\n1. \\[OSDI '20] A Paper\n") == SourceFormat.GITBOOK


@pytest.mark.parametrize(
    "data",
    [
        b"```\n" * 100_000,  # many fences: detection must stay linear
        b"- *T* (" + b"' " * 100_000 + b"a)\n",  # a venue tag full of quotes
        b"1. \\[OSDI '20] " + b"\\" * 100_000 + b"\n",  # a huge "title" of LaTeX-like junk
        b"1. \\[OSDI '20] T" + b" compiled" * 50_000 + b"\n",
    ],
)
def test_parse_document_pathological_input_is_fast(data: bytes):
    start = time.perf_counter()
    try:
        parse_document("odd.md", data)
    except UnreadableFile as exc:
        assert str(exc).startswith("odd.md")
    assert time.perf_counter() - start < 1.0
