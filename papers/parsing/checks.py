"""What every parsed reading list goes through, whatever its format.

Links must be web links: a reading list is a third party's file, and a stored
``javascript:`` link would run script for whoever clicks it on the paper's page.
A link that is not http(s) is a problem the preview reports; the paper is still
imported, without it. One-line fields (titles, venues, keys, topics) are put on
one line: a line break there would break subjects, calendars and the database's
single-line constraints.
"""

from __future__ import annotations

from papers.parsing.base import ParsedDocument, ParsedEntry, ParseProblem
from readinggroup.validators import has_control_characters, one_line
from readinggroup.weblinks import clean_web_url

URL_MAX_LENGTH = 500  # Paper.url
_LINES = ("title", "short_name", "venue", "pages", "doi", "citation_key", "entry_type", "topic")


def check_document(document: ParsedDocument) -> ParsedDocument:
    """``document`` with its links checked and its one-line fields on one line (in place)."""
    document.filename = one_line(document.filename)
    document.title = one_line(document.title)
    if has_control_characters("".join(document.topics)):
        document.topics = list(dict.fromkeys(one_line(topic) for topic in document.topics))
    dropped = False
    for entry in document.entries:
        # One search per entry: nearly every entry is clean.
        if has_control_characters(
            f"{entry.title}{entry.short_name}{entry.venue}{entry.pages}{entry.doi}"
            f"{entry.citation_key}{entry.entry_type}{entry.topic}"
        ):
            for name in _LINES:
                setattr(entry, name, one_line(getattr(entry, name)))
        if entry.url:
            problem = _check_link(entry)
            if problem is not None:
                document.problems.append(problem)
                dropped = True
    if dropped:  # in line order, with the problems the parser found
        document.problems.sort(key=lambda problem: problem.line or 0)
    return document


def _check_link(entry: ParsedEntry) -> ParseProblem | None:
    """Keep the entry's link if it is a web link (scheme in lower case), else drop it
    (from its BibTeX fields too, so an export does not carry it on) and say so."""
    url = clean_web_url(entry.url)
    too_long = url is not None and len(url) > URL_MAX_LENGTH
    if url is not None and not too_long:
        entry.url = url
        return None
    entry.url = ""
    entry.fields = {k: v for k, v in entry.fields.items() if k.casefold() != "url"}
    label = entry.citation_key or entry.title[:60]
    why = (
        f"is longer than {URL_MAX_LENGTH} characters"
        if too_long
        else "is not a web address (http:// or https://)"
    )
    return ParseProblem(
        message=f"the link of '{label}' (line {entry.line}) {why}; "
        "the paper is imported without it.",
        line=entry.line,
        entry=label,
    )
