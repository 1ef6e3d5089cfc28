"""Markdown with `##` topic headings and BibTeX inside fenced code blocks."""

from __future__ import annotations

import re

from papers.parsing.base import ParsedDocument, ParsedEntry, ParseProblem, SourceFormat
from papers.parsing.bibtex import parse_bibtex
from papers.parsing.outline import Outline
from papers.parsing.titles import filename_title

_FENCE = re.compile(r"\s{0,3}(`{3,}|~{3,})\s*([\w+-]*)")
_BIB_START = re.compile(r"\s*@\s*[A-Za-z]+\s*[{(]")
# Fences whose language says "this is not BibTeX" are skipped even if they contain an @.
_NOT_BIBTEX = frozenset({"python", "py", "sh", "bash", "shell", "console", "json", "yaml", "js"})


def parse_markdown_bibtex(text: str, filename: str) -> ParsedDocument:
    lines = text.splitlines()
    outline = Outline()
    entries: list[ParsedEntry] = []
    problems: list[ParseProblem] = []
    # (topic, first content line index, lines) of each fenced block, parsed once the title is known
    blocks: list[tuple[str, int, list[str]]] = []

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            marker, language = fence.group(1), fence.group(2).lower()
            start = i + 1
            end = start
            while end < len(lines) and not lines[end].strip().startswith(marker):
                end += 1
            if end == len(lines):
                problems.append(
                    ParseProblem(
                        message=f"the code block opened at line {i + 1} is never closed; "
                        "it was read to the end of the file.",
                        line=i + 1,
                    )
                )
            if language not in _NOT_BIBTEX:
                blocks.append((outline.topic, start, lines[start:end]))
            i = end + 1
            continue
        if not outline.read_heading(line) and _BIB_START.match(line):
            problems.append(
                ParseProblem(
                    message=f"line {i + 1} starts a BibTeX entry outside a ``` code block; "
                    "it was ignored. Put it inside a fenced block under a ## heading.",
                    line=i + 1,
                    entry=line.strip()[:60],
                )
            )
        i += 1

    title = outline.title or filename_title(filename)
    topics = outline.topics
    for block_topic, start, block_lines in blocks:
        if not block_topic and title not in topics:
            topics.insert(0, title)  # entries before the first heading go under the title
        found, found_problems = parse_bibtex(
            "\n".join(block_lines), topic=block_topic or title, line_offset=start
        )
        entries.extend(found)
        problems.extend(found_problems)
    problems.sort(key=lambda p: p.line or 0)
    return ParsedDocument(
        filename=filename,
        format=SourceFormat.MARKDOWN_BIBTEX,
        title=title,
        topics=topics,
        entries=entries,
        problems=problems,
    )
