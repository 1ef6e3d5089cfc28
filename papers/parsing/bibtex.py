"""BibTeX text -> ParsedEntry list, via bibtexparser 2's splitter.

bibtexparser's default middleware (resolve @string macros, then strip the enclosing
braces or quotes) walks every field of every entry a second time, in Python; an
import reads each field once anyway, so it does both there (``_field_values``), with
the same rules. Its LaTeX middleware is not used either: too slow.
"""

from __future__ import annotations

import re

import bibtexparser
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
)

from papers.parsing.base import ParsedDocument, ParsedEntry, ParseProblem, SourceFormat
from papers.parsing.titles import (
    clean_title,
    collapse_spaces,
    filename_title,
    split_short_name,
    strip_latex,
)
from papers.parsing.venues import PLAUSIBLE_YEARS, venue_from_casefolded

# Only used to name a block bibtexparser could not parse, never to parse BibTeX.
_BLOCK_HEAD = re.compile(r"@\s*\w+\s*[{(]\s*([^,\s{}()]+)\s*,")
# BibTeX separates names with a brace-level "and"; names without braces take the fast path.
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_COMMA = re.compile(r",")
_YEAR = re.compile(r"\s*(\d{4})\s*")
_PAGE_DASH = re.compile("\\s*(?:-+|\u2013|\u2014)\\s*")  # --, en and em dashes
_ARXIV_ID = re.compile(
    r"(?:arxiv[:/\s]*)?(\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)",
    re.IGNORECASE,
)
_ARXIV_IN_TEXT = re.compile(r"arxiv", re.IGNORECASE)
_BRACES = re.compile(r"(?<!\\)[{}]")  # a brace preceded by a backslash is escaped
_BRACES_AND_QUOTE = re.compile(r'(?<!\\)[{}"]')


def _enclosed_in_braces(value: str) -> bool:
    # True when the brace opening the value closes at its end: not for "{a} # {b}".
    inner = value[1:-1]
    if "{" not in inner and "}" not in inner:
        return not inner.endswith("\\")
    depth = 0
    last = len(value) - 1
    for match in _BRACES.finditer(value):
        depth += 1 if match.group() == "{" else -1
        if depth < 0 or (depth == 0 and match.start() != last):
            return False
    return depth == 0


def _enclosed_in_quotes(value: str) -> bool:
    # True when the quote opening the value closes at its end: not for '"a" # "b"'.
    last = len(value) - 1
    if value.find('"', 1, last) < 0:
        return True
    depth = 0
    for match in _BRACES_AND_QUOTE.finditer(value, 1, last):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            return False
    return True


def _unenclosed(value: str) -> str:
    """A field value without its enclosing braces or quotes (bibtexparser's rules)."""
    value = value.strip()
    if len(value) >= 2:
        first, last = value[0], value[-1]
        if first == "{" and last == "}" and _enclosed_in_braces(value):
            return value[1:-1]
        if first == '"' and last == '"' and _enclosed_in_quotes(value):
            return value[1:-1]
    return value


def _field_values(block: Entry, strings: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Field name -> value as written, with @string macros resolved and the enclosing
    delimiters removed: what bibtexparser's default middleware would leave. Also the
    same with the names casefolded, for lookups."""
    fields = {}
    for field in block.fields:
        value = field.value
        if not isinstance(value, str):
            value = str(value)
        elif strings and not (
            (value.startswith("{") and value.endswith("}"))
            or (value.startswith('"') and value.endswith('"'))
        ):
            value = strings.get(value.lower(), value)  # macro names are case-insensitive
        if value[:1] == "{" and value[-1:] == "}":
            inner = value[1:-1]
            # Most values: braced, with no braces inside.
            if "{" not in inner and "}" not in inner and inner[-1:] != "\\":
                fields[field.key] = inner
                continue
        fields[field.key] = _unenclosed(value)
    names = "".join(fields)
    if names.isascii() and names.islower():
        # The usual case, names written in lower case already: one dict for both, which
        # is why neither may be changed.
        return fields, fields
    return fields, {key.casefold(): value for key, value in fields.items()}


def _depth(text: str) -> int:
    return text.count("{") - text.count("}")


def _split_braced(text: str, pattern: re.Pattern[str], joiner: str) -> list[str]:
    # Split on the pattern, then re-join pieces that sit inside braces ("{Barnes and Noble}").
    pieces = pattern.split(text)
    if "{" not in text:
        return pieces
    merged: list[str] = []
    for piece in pieces:
        if merged and _depth(merged[-1]) > 0:
            merged[-1] = f"{merged[-1]}{joiner}{piece}"
        else:
            merged.append(piece)
    return merged


def _display_name(name: str) -> str:
    # "Last, First" / "von Last, Jr, First" -> "First von Last Jr"; "First Last" stays.
    if "," not in name:
        return name.strip()
    pieces = name.split(",") if "{" not in name else _split_braced(name, _COMMA, ",")
    pieces = [p.strip() for p in pieces]
    if len(pieces) == 2:
        return f"{pieces[1]} {pieces[0]}".strip()
    if len(pieces) >= 3:
        return f"{pieces[2]} {pieces[0]} {pieces[1]}".strip()
    return name.strip()


def format_authors(value: str) -> str:
    """`Feng, Siyuan and Hou, Bohan and others` -> `Siyuan Feng, Bohan Hou and others`."""
    value = value.strip()
    if "{" in value:
        names = [n for n in _split_braced(collapse_spaces(value), _AND, " and ") if n.strip()]
    else:
        names = _AND.split(value)
    others = bool(names) and names[-1].strip().casefold() == "others"
    if others:
        names = names[:-1]
    # "First Last" names (no comma anywhere) are already in display order.
    people = [_display_name(n) for n in names] if "," in value else names
    text = ", ".join(p for p in people if p)
    if others:
        text = f"{text} and others" if text else "others"
    # One LaTeX pass over the whole list is much cheaper than one per name.
    return collapse_spaces(strip_latex(text))


def _year(value: str) -> int | None:
    match = _YEAR.fullmatch(strip_latex(value))
    year = int(match.group(1)) if match else None
    return year if year is not None and PLAUSIBLE_YEARS[0] <= year <= PLAUSIBLE_YEARS[1] else None


def _arxiv_id(fields: dict[str, str]) -> str:
    eprint = fields.get("eprint", "")
    archive = fields.get("archiveprefix", "") + fields.get("eprinttype", "")
    # An eprint is an arXiv id unless the entry names another archive.
    if eprint and (not archive.strip() or _ARXIV_IN_TEXT.search(archive)):
        match = _ARXIV_ID.search(eprint)
        if match:
            return match.group(1)
    for key in ("journal", "booktitle", "volume", "note", "howpublished"):
        value = fields.get(key, "")
        if value and _ARXIV_IN_TEXT.search(value):
            match = _ARXIV_ID.search(value)
            if match:
                return match.group(1)
    return ""


def _entry_label(raw: str) -> str:
    match = _BLOCK_HEAD.search(raw)
    if match:
        return match.group(1)
    return collapse_spaces(raw)[:60]


def _entry(
    block: Entry, topic: str, line: int, strings: dict[str, str]
) -> ParsedEntry | ParseProblem:
    fields, lowered = _field_values(block, strings)
    raw_title = lowered.get("title", "")
    title = clean_title(raw_title) if raw_title.strip() else ""
    if not title:
        return ParseProblem(
            message=f"BibTeX entry '{block.key}' (line {line}) has no title; it was skipped.",
            line=line,
            entry=block.key,
        )
    short_name, title = split_short_name(title)
    shorthand = lowered.get("shorthand", "")
    if shorthand.strip():
        short_name = clean_title(shorthand)
    url = lowered.get("url", "").strip()
    arxiv = _arxiv_id(lowered)
    if not url and arxiv:
        url = f"https://arxiv.org/abs/{arxiv}"
    venue = venue_from_casefolded(lowered)
    if not venue and arxiv:
        venue = "arXiv"
    return ParsedEntry(
        title=title,
        topic=topic,
        line=line,
        raw=block.raw or "",
        short_name=short_name,
        authors=format_authors(lowered["author"]) if lowered.get("author") else "",
        venue=venue,
        year=_year(lowered["year"]) if lowered.get("year") else None,
        pages=_PAGE_DASH.sub("-", lowered.get("pages", "").strip()),
        url=url,
        doi=lowered.get("doi", "").strip(),
        citation_key=block.key,
        entry_type=block.entry_type.lower(),
        fields=fields,
    )


def _failure(block: ParsingFailedBlock, line: int) -> ParseProblem:
    raw = block.raw or ""
    if isinstance(block, DuplicateBlockKeyBlock):
        return ParseProblem(
            message=f"duplicate BibTeX key '{block.key}' (line {line}); the first entry was kept.",
            line=line,
            entry=block.key,
        )
    label = _entry_label(raw)
    if isinstance(block, DuplicateFieldKeyBlock):
        repeated = ", ".join(sorted(block.duplicate_keys))
        return ParseProblem(
            message=f"BibTeX entry '{label}' (line {line}) repeats the field(s) {repeated}; "
            "it was skipped. Keep one of each field.",
            line=line,
            entry=label,
        )
    reason = getattr(block.error, "abort_reason", "") or str(block.error) or "syntax error"
    return ParseProblem(
        message=f"could not read BibTeX entry '{label}' (line {line}): {collapse_spaces(reason)}. "
        "Check for unbalanced braces or a missing comma; the entry was skipped.",
        line=line,
        entry=label,
    )


def parse_bibtex(
    text: str, *, topic: str = "", line_offset: int = 0
) -> tuple[list[ParsedEntry], list[ParseProblem]]:
    """Entries and problems of a BibTeX text; lines are 1-based, shifted by line_offset."""
    try:
        library = bibtexparser.parse_string(text, parse_stack=[])
    except Exception as exc:  # bibtexparser raises on internal parser states; report, don't crash
        return [], [
            ParseProblem(
                message=f"could not read the BibTeX starting at line {line_offset + 1}: {exc}",
                line=line_offset + 1,
            )
        ]
    entries: list[ParsedEntry] = []
    problems: list[ParseProblem] = []
    # Macro names are case-insensitive: of two spelled alike but for case the later wins
    # (of two spelled the same, bibtexparser keeps the first and reports the second).
    # A macro's value is enclosed like a field's.
    strings = {key.lower(): string.value for key, string in library.strings_dict.items()}
    for block in library.entries:
        # bibtexparser counts lines from 0.
        result = _entry(block, topic, (block.start_line or 0) + 1 + line_offset, strings)
        (entries if isinstance(result, ParsedEntry) else problems).append(result)
    for failed in library.failed_blocks:
        problems.append(_failure(failed, (failed.start_line or 0) + 1 + line_offset))
    problems.sort(key=lambda p: p.line or 0)
    return entries, problems


def parse_bibtex_document(text: str, filename: str) -> ParsedDocument:
    """A plain .bib file: every entry goes under one topic named after the file."""
    title = filename_title(filename)
    entries, problems = parse_bibtex(text, topic=title)
    return ParsedDocument(
        filename=filename,
        format=SourceFormat.BIBTEX,
        title=title,
        topics=[title],
        entries=entries,
        problems=problems,
    )
