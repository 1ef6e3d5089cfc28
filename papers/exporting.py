"""BibTeX export of any selection of papers, written with bibtexparser."""

from __future__ import annotations

from collections.abc import Iterable

import bibtexparser
from bibtexparser.model import Entry, Field

from .models import Paper

# Venues exported as journals rather than proceedings.
_JOURNAL_VENUES = {"arXiv", "IEEE Micro", "TPDS", "VLDB", "Journal of Supercomputing"}


def entry_for(paper: Paper) -> tuple[str, dict[str, str]]:
    """The entry type and fields for a paper.

    The source's own BibTeX fields come first (they round-trip exactly); what the
    catalogue knows beyond them, from other lists or a merge, is added.
    """
    fields = {k: v for k, v in paper.bibtex_fields.items() if v not in ("", None)}
    entry_type = paper.entry_type
    if not fields:
        entry_type = "article" if paper.venue in _JOURNAL_VENUES else "inproceedings"
    fields.setdefault("title", paper.title)
    if paper.venue and not ({"booktitle", "journal"} & fields.keys()):
        fields["journal" if entry_type == "article" else "booktitle"] = paper.venue
    extra = {
        "year": str(paper.year or ""),
        "pages": paper.pages.replace("-", "--"),
        "shorthand": paper.short_name,
        "url": paper.url,
        "doi": paper.doi,
    }
    for name, value in extra.items():
        if value:
            fields.setdefault(name, value)
    return entry_type, fields


def export_bibtex(papers: Iterable[Paper]) -> str:
    library = bibtexparser.Library()
    for paper in papers:
        entry_type, fields = entry_for(paper)
        library.add(Entry(entry_type, paper.citation_key, [Field(k, v) for k, v in fields.items()]))
    return bibtexparser.write_string(library)
