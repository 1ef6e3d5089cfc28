"""Bytes of an uploaded or seeded file -> ParsedDocument, choosing the parser by content."""

from __future__ import annotations

import re

from papers.parsing.base import ParsedDocument, SourceFormat, UnreadableFile
from papers.parsing.bibtex import parse_bibtex_document
from papers.parsing.checks import check_document
from papers.parsing.gitbook import parse_gitbook
from papers.parsing.markdown_bibtex import parse_markdown_bibtex
from papers.parsing.markdown_list import parse_markdown_list

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BIB_ENTRY = re.compile(
    r"^[ \t]*@[ \t]*(?!string\b|preamble\b|comment\b)[A-Za-z]+[ \t]*[{(]", re.I | re.M
)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,}).*$", re.M)
_GITBOOK_ITEM = re.compile(r"^[ \t]*(?:\d+[.)]|[-+*])[ \t]+\\?\[[^\]\n]*\\?\][ \t]*[^(\s]", re.M)
_LIST_ITEM = re.compile(r"^[ \t]*[-+*][ \t]+\*?[^*\n]+\*[ \t]*\([^()\n]*\)", re.M)
_PARSERS = {
    SourceFormat.BIBTEX: parse_bibtex_document,
    SourceFormat.MARKDOWN_BIBTEX: parse_markdown_bibtex,
    SourceFormat.GITBOOK: parse_gitbook,
    SourceFormat.MARKDOWN_LIST: parse_markdown_list,
}


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"


def check_size(filename: str, size: int, max_bytes: int) -> None:
    """Refuse a file over the limit before its bytes are read."""
    if size > max_bytes:
        raise UnreadableFile(
            f"{filename} is too big: {_size(size)} ({size} bytes); "
            f"the limit is {_size(max_bytes)} ({max_bytes} bytes)."
        )


def decode(filename: str, data: bytes, max_bytes: int) -> str:
    """UTF-8 text with Unix newlines, or UnreadableFile naming the file and the problem."""
    check_size(filename, len(data), max_bytes)
    if data.startswith(_UTF16_BOMS):
        raise UnreadableFile(f"{filename} is UTF-16 text; save it as UTF-8 and upload it again.")
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if not data.strip():
        raise UnreadableFile(f"{filename} is empty.")
    if b"\x00" in data:
        raise UnreadableFile(f"{filename} is a binary file, not a text reading list.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnreadableFile(
            f"{filename} is not UTF-8 text: byte 0x{data[exc.start]:02x} at byte offset "
            f"{exc.start} (line {line}) is invalid. Save the file as UTF-8."
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _outside_fences(text: str) -> tuple[str, str]:
    """(text outside ``` fences, text inside them)."""
    outside: list[str] = []
    inside: list[str] = []
    position = 0  # end of the last closing fence
    opening: re.Match[str] | None = None
    for fence in _FENCE.finditer(text):
        if opening is None:
            outside.append(text[position : fence.start()])
            opening = fence
        elif fence.group(0).strip().startswith(opening.group(1)):
            inside.append(text[opening.end() : fence.start()])
            position = fence.end()
            opening = None
    if opening is None:
        outside.append(text[position:])
    else:  # an unclosed fence runs to the end, as in the Markdown parser
        inside.append(text[opening.end() :])
    return "".join(outside), "".join(inside)


def detect_format(filename: str, text: str) -> SourceFormat | None:
    is_bib = filename.lower().endswith((".bib", ".bibtex"))
    fenced = ("```" in text or "~~~" in text) and _FENCE.search(text)
    if is_bib and not fenced and _BIB_ENTRY.search(text):
        return SourceFormat.BIBTEX  # what the counts below decide, without counting
    outside, inside = _outside_fences(text)
    fenced_entries = len(_BIB_ENTRY.findall(inside))
    loose_entries = len(_BIB_ENTRY.findall(outside))
    if loose_entries and is_bib:
        return SourceFormat.BIBTEX
    if fenced_entries and fenced_entries >= loose_entries:
        return SourceFormat.MARKDOWN_BIBTEX
    gitbook_items = len(_GITBOOK_ITEM.findall(outside))
    list_items = len(_LIST_ITEM.findall(outside))
    if loose_entries and loose_entries >= gitbook_items + list_items:
        return SourceFormat.BIBTEX
    if gitbook_items and gitbook_items >= list_items:
        return SourceFormat.GITBOOK
    if list_items:
        return SourceFormat.MARKDOWN_LIST
    # Front matter alone is not enough: a GitBook page without items has nothing to import.
    return None


def parse_document(
    filename: str, data: bytes, *, max_bytes: int = 5 * 1024 * 1024
) -> ParsedDocument:
    """Decode, detect the format and parse; UnreadableFile when nothing can be imported."""
    text = decode(filename, data, max_bytes)
    source_format = detect_format(filename, text)
    if source_format is None:
        raise UnreadableFile(
            f"{filename} is not a reading list this site can read: no BibTeX entries, "
            "`- *Title* (VenueYY)` items or `N. \\[Venue 'YY] Title` items were found."
        )
    document = check_document(_PARSERS[source_format](text, filename))
    if not document.entries and not document.problems:
        raise UnreadableFile(f"{filename} contains no papers to import.")
    return document
