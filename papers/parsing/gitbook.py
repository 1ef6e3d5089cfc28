r"""GitBook page: YAML front matter, `### **Section**` headings, `N. \[Venue 'YY] Title` items."""

from __future__ import annotations

import re

from papers.parsing.base import ParsedDocument, ParsedEntry, ParseProblem, SourceFormat
from papers.parsing.markdown_list import split_markdown_link
from papers.parsing.outline import Outline
from papers.parsing.titles import (
    clean_title,
    filename_title,
    split_short_name,
    unescape_markdown,
)
from papers.parsing.venues import parse_venue_tag

_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)\s*$", re.MULTILINE)
# Only a top-level `title:`; GitBook's indented `layout: title:` is a display switch.
_FRONT_MATTER_TITLE = re.compile(r"^title:\s*(.*?)\s*$", re.MULTILINE)
_LIST_ITEM = re.compile(r"\s*(?:\d+[.)]|[-+*])\s+(?P<body>.*)")
# `\[SC '21'] Title`: the opening bracket is escaped by GitBook, the closing one usually not.
_VENUE_ITEM = re.compile(r"\\?\[(?P<venue>[^\]]*?)\\?\](?!\()\s*(?P<title>.*)")


def split_front_matter(text: str) -> tuple[str, int]:
    """(front matter text, index where the body starts); ("", 0) without front matter."""
    if not text.startswith("---"):
        return "", 0
    first_newline = text.find("\n")
    if first_newline < 0 or text[:first_newline].strip() != "---":
        return "", 0
    end = _FRONT_MATTER_END.search(text, first_newline + 1)
    if not end:
        return "", 0
    body_start = text.find("\n", end.end())
    return text[first_newline + 1 : end.start()], len(text) if body_start < 0 else body_start + 1


def parse_gitbook(text: str, filename: str) -> ParsedDocument:
    front_matter, body_start = split_front_matter(text)
    meta_title = ""
    if front_matter:
        match = _FRONT_MATTER_TITLE.search(front_matter)
        if match:
            meta_title = match.group(1).strip("'\"")
    line_offset = text.count("\n", 0, body_start)
    lines = text[body_start:].splitlines()

    outline = Outline()
    entries: list[ParsedEntry] = []
    problems: list[ParseProblem] = []
    for index, line in enumerate(lines):
        lineno = index + 1 + line_offset
        if outline.read_heading(line):
            continue
        item = _LIST_ITEM.fullmatch(line)
        if not item:
            continue
        body = item.group("body").strip()
        venue_item = _VENUE_ITEM.fullmatch(body)
        tag, raw_title = ("", body)
        if venue_item:
            tag, raw_title = venue_item.group("venue"), venue_item.group("title")
        raw_title, url = split_markdown_link(unescape_markdown(raw_title))
        short_name, clean = split_short_name(clean_title(raw_title.strip("*_ ")))
        unread_bracket = not venue_item and not url and body.startswith(("\\[", "["))
        if not clean or unread_bracket:
            problems.append(
                ParseProblem(
                    message=f"line {lineno} looks like a reading-list item but is not "
                    "`N. \\[Venue 'YY] Title`; it was skipped.",
                    line=lineno,
                    entry=body[:60],
                )
            )
            continue
        venue, year = parse_venue_tag(tag)
        if not outline.topic:
            outline.enter(outline.title or meta_title or filename_title(filename))
        entries.append(
            ParsedEntry(
                title=clean,
                topic=outline.topic,
                line=lineno,
                raw=line,
                short_name=short_name,
                venue=venue,
                year=year,
                url=url,
            )
        )

    return ParsedDocument(
        filename=filename,
        format=SourceFormat.GITBOOK,
        title=outline.title or meta_title or filename_title(filename),
        topics=outline.topics,
        entries=entries,
        problems=problems,
    )
