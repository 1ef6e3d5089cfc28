"""What every reading-list parser produces: plain data, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SourceFormat(StrEnum):
    BIBTEX = "bibtex"  # a plain .bib file
    MARKDOWN_BIBTEX = "markdown-bibtex"  # Markdown with `##` topics and fenced BibTeX blocks
    MARKDOWN_LIST = "markdown-list"  # numbered bold categories with `- *Title* (VenueYY)` items
    GITBOOK = "gitbook"  # YAML front matter, `### **Section**`, `\[Venue 'YY] Title` items

    @property
    def label(self) -> str:
        return {
            "bibtex": "BibTeX",
            "markdown-bibtex": "Markdown with BibTeX blocks",
            "markdown-list": "Markdown list",
            "gitbook": "GitBook reading list",
        }[self.value]


class UnreadableFile(Exception):
    """The whole file is unusable (empty, binary, not UTF-8, too big, unknown format).

    The message names the file and says what is wrong, ready to show a user.
    """


@dataclass(slots=True)
class ParsedEntry:
    title: str  # cleaned for display: no LaTeX, single spaces, no short name
    topic: str  # the section the entry is listed under
    line: int  # 1-based line in the document where the entry starts
    raw: str  # the entry's original text, verbatim
    short_name: str = ""  # "vLLM" from "(vLLM) Efficient Memory ..."
    authors: str = ""  # display form: "Siyuan Feng, Bohan Hou and others"
    venue: str = ""  # clean short venue: "NeurIPS", "OSDI", "arXiv"
    year: int | None = None
    pages: str = ""  # "804-817"
    url: str = ""
    doi: str = ""
    citation_key: str = ""  # BibTeX key, when the source has one
    entry_type: str = ""  # BibTeX entry type ("inproceedings"), when the source has one
    fields: dict[str, str] = field(default_factory=dict)  # BibTeX fields as written


@dataclass
class ParseProblem:
    message: str  # a sentence a user can act on
    line: int | None = None
    entry: str = ""  # the entry's key or the start of its text


@dataclass
class ParsedDocument:
    filename: str
    format: SourceFormat
    title: str  # the document's own title, or the file name without extension
    topics: list[str]  # section names in document order (no duplicates)
    entries: list[ParsedEntry]
    problems: list[ParseProblem] = field(default_factory=list)
