"""Markdown list: numbered bold categories with `- *Title* (VenueYY)` items."""

from __future__ import annotations

import re

from papers.parsing.base import ParsedDocument, ParsedEntry, ParseProblem, SourceFormat
from papers.parsing.outline import Outline, heading_text
from papers.parsing.titles import (
    clean_title,
    filename_title,
    split_short_name,
    unescape_markdown,
)
from papers.parsing.venues import parse_venue_tag

# `1. **Cluster Scheduling**:` (the colon is sometimes missing, the bold sometimes too).
_CATEGORY = re.compile(
    r"\s*(?:\d+[.)]\s+)?(?P<bold>\*\*[^*].*?\*\*)\s*:?\s*|\s*\d+[.)]\s+(?P<plain>[^*].*?)\s*:?\s*"
)
# A numbered line that holds an item rather than a category: `3. *Title* (OSDI20)`.
_NUMBERED_ITEM = re.compile(r"\s*\d+[.)]\s+(?P<body>\*[^*].*)")
_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<url>[^()\s]+)\)")
_BULLET = re.compile(r"\s*[-+*]\s+(?P<body>.*)")
# `*Title* (Venue) stray words`; the leading asterisk is sometimes missing.
_ITEM = re.compile(r"\*?(?P<title>[^*].*?)\*\s*(?:\((?P<venue>[^()]*)\))?\s*(?P<rest>.*)")
# Without emphasis at all: `Title (Venue)`.
_PLAIN_ITEM = re.compile(r"(?P<title>[^*].*?)\s*\((?P<venue>[^()]*)\)\s*")
# A bullet whose emphasis is still open continues on the next line(s) (FastDecode).
_MAX_WRAP = 3


def split_markdown_link(text: str) -> tuple[str, str]:
    """`[Title](https://...)` anywhere in a title -> ("Title", "https://...")."""
    match = _LINK.search(text) if "](" in text else None
    if not match:
        return text, ""
    return text[: match.start()] + match.group("text") + text[match.end() :], match.group("url")


def _item(body: str) -> tuple[str, str] | None:
    """(title, venue tag) of an item body, or None."""
    match = _ITEM.fullmatch(body)
    if match:
        return match.group("title"), match.group("venue") or ""
    match = _PLAIN_ITEM.fullmatch(body)
    if match:
        return match.group("title"), match.group("venue")
    return None


def _continues(line: str) -> bool:
    return bool(line.strip()) and not _BULLET.match(line) and not _CATEGORY.fullmatch(line)


def parse_markdown_list(text: str, filename: str) -> ParsedDocument:
    lines = text.splitlines()
    outline = Outline()
    entries: list[ParsedEntry] = []
    problems: list[ParseProblem] = []

    i = 0
    while i < len(lines):
        line = lines[i]
        lineno = i + 1
        i += 1
        if not line.strip():
            continue
        # Lists may use `## Topic` headings instead of numbered bold categories. Topics are
        # listed when their first item is read, so a `###### Content` heading above the
        # categories does not become an empty topic.
        if outline.read_heading(line, list_topic=False):
            continue
        bullet = _BULLET.fullmatch(line) or _NUMBERED_ITEM.fullmatch(line)
        if not bullet:
            category = _CATEGORY.fullmatch(line)
            if category:
                name = heading_text(category.group("bold") or category.group("plain"))
                outline.topic = name.rstrip(":").strip() or outline.topic
            continue
        body = bullet.group("body").strip()
        raw_lines = [line]
        # An item wrapped over lines: the title's closing asterisk is on a later line.
        while body.count("*") == 1 and body.startswith("*") and len(raw_lines) <= _MAX_WRAP:
            if i < len(lines) and _continues(lines[i]):
                body = f"{body} {lines[i].strip()}"
                raw_lines.append(lines[i])
                i += 1
            else:
                break
        parsed = _item(body)
        if parsed is None:
            problems.append(
                ParseProblem(
                    message=f"line {lineno} looks like a list item but is not "
                    "`- *Title* (VenueYY)`; it was skipped.",
                    line=lineno,
                    entry=body[:60],
                )
            )
            continue
        raw_title, tag = parsed
        raw_title, url = split_markdown_link(unescape_markdown(raw_title))
        short_name, clean = split_short_name(clean_title(raw_title))
        if not clean:
            message = f"line {lineno} has an empty title; it was skipped."
            problems.append(ParseProblem(message=message, line=lineno))
            continue
        venue, year = parse_venue_tag(tag)
        outline.enter(outline.topic or outline.title or filename_title(filename))
        entries.append(
            ParsedEntry(
                title=clean,
                topic=outline.topic,
                line=lineno,
                raw="\n".join(raw_lines),
                short_name=short_name,
                venue=venue,
                year=year,
                url=url,
            )
        )

    return ParsedDocument(
        filename=filename,
        format=SourceFormat.MARKDOWN_LIST,
        title=outline.title or filename_title(filename),
        topics=outline.topics,
        entries=entries,
        problems=problems,
    )
