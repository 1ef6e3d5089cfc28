"""Venue names: short tags from Markdown lists and long BibTeX booktitles/journals."""

from __future__ import annotations

import datetime
import functools
import re

from papers.parsing.titles import collapse_spaces, strip_latex

# Case-insensitive spelling fixes for well-known venues; unknown venues keep their spelling.
_WELL_KNOWN = """
        AAAI ACL ASPLOS ATC CCGrid CF CIDR CLUSTER CVPR DAC DATE ECCV EMNLP EuroMLSys EuroSys
        e-Energy FAST HPCA HPCC HPDC HotNets HotOS ICCAD ICCV ICDE ICLR ICML ICPP ICS IJCAI
        IPDPS ISCA KDD MICRO MLSys MobiCom MobiSys Middleware NAACL NSDI NeurIPS OSDI PACT PLDI
        PODC PPoPP RTSS SC SIGCOMM SIGMETRICS SIGMOD SoCC SOSP SysML TACO TOCS TPDS VLDB WWW
        arXiv IEEE ACM USENIX
"""
_CANONICAL = {name.casefold(): name for name in _WELL_KNOWN.split()}
_CANONICAL |= {
    "nips": "NeurIPS",
    "usenix atc": "ATC",
    "pvldb": "VLDB",
    "corr": "arXiv",
    "arxiv preprint": "arXiv",
    "supercomputing": "SC",
    "ieee micro": "IEEE Micro",
}

# "OSDI20", "arXiv '18", "SC '21'", "OSDI' 20", "IEEE Micro 24", "OSDI 2020".
_QUOTES = "'\u2018\u2019"  # straight and curly apostrophes
# Years outside this range are typos (and the catalogue refuses them).
PLAUSIBLE_YEARS = (1900, 2100)
_TAG_YEAR = re.compile(r"(?<!\d)(\d{4}|\d{2})$")
_WELL_FORMED = re.compile(r"[A-Za-z][A-Za-z0-9 .&/+-]*[A-Za-z0-9]")

# BibTeX booktitle/journal: a parenthesised acronym wins ("... (OSDI 24)", "... (HPCA)").
_PAREN_ACRONYM = re.compile(r"\((?P<name>[A-Za-z][A-Za-z/-]{1,15})(?:\s*['\u2019]?\s*\d{2,4})?\)")
_ARXIV = re.compile(r"\barxiv\b|\bcorr\b", re.IGNORECASE)
# Long names, checked in order (more specific first), matched against the casefolded name.
_LONG_NAMES = [
    (re.compile(p), venue)
    for p, venue in (
        (r"architectural support for programming languages and operating systems", "ASPLOS"),
        (r"machine learning and systems", "MLSys"),
        (r"neural information processing systems", "NeurIPS"),
        (r"international conference on machine learning", "ICML"),
        (r"international conference on learning representations", "ICLR"),
        (r"^ieee micro$", "IEEE Micro"),
        (r"symposium on microarchitecture", "MICRO"),
        (r"vldb endowment|very large data ?bases", "VLDB"),
        (r"\bsigcomm\b", "SIGCOMM"),
        (r"symposium on computer architecture", "ISCA"),
        (r"high[- ]performance computer architecture", "HPCA"),
        (r"operating systems principles", "SOSP"),
        (r"operating systems design and implementation", "OSDI"),
        (r"networked systems design and implementation", "NSDI"),
        (r"principles of distributed computing", "PODC"),
        (r"high performance computing, networking, storage,? and analysis", "SC"),
        (r"european conference on computer systems|\beurosys\b", "EuroSys"),
        (r"usenix annual technical conference", "ATC"),
        (r"principles and practice of parallel programming", "PPoPP"),
        (r"programming language design and implementation", "PLDI"),
        (r"symposium on cloud computing", "SoCC"),
        (r"parallel and distributed systems", "TPDS"),
        (r"high[- ]performance parallel and distributed computing", "HPDC"),
        (r"journal of supercomputing", "Journal of Supercomputing"),
        (r"file and storage technologies", "FAST"),
        (r"computer vision and pattern recognition", "CVPR"),
        (r"empirical methods in natural language processing", "EMNLP"),
        (r"north american chapter of the association for computational linguistics", "NAACL"),
        (r"association for computational linguistics", "ACL"),
        (r"knowledge discovery (?:and|&) data mining", "KDD"),
        (r"management of data", "SIGMOD"),
        (r"mobile computing and networking", "MobiCom"),
        (r"mobile systems, applications,? and services", "MobiSys"),
        (r"machine learning and computer architecture|euromlsys", "EuroMLSys"),
    )
]


def _expand_year(two_digits: int, this_year: int) -> int:
    # "24" is 2024, but a year beyond next year must be last century ("98" -> 1998).
    year = 2000 + two_digits
    return year - 100 if year > this_year + 1 else year


def canonical_venue(name: str) -> str:
    name = collapse_spaces(name)
    return _CANONICAL.get(name.casefold(), name)


def parse_venue_tag(tag: str) -> tuple[str, int | None]:
    """`OSDI20` -> ("OSDI", 2020); `NIPS '12` -> ("NeurIPS", 2012); `x` -> ("", None)."""
    return _parse_venue_tag(tag, datetime.date.today().year)


@functools.lru_cache(maxsize=4096)
def _parse_venue_tag(tag: str, this_year: int) -> tuple[str, int | None]:
    # Cached: a list repeats the same few dozen tags; the year is part of the key.
    # Stray quotes and spaces around the year: "SC '21'", "OSDI' 20".
    text = tag.strip().strip(_QUOTES).strip()
    match = _TAG_YEAR.search(text)
    year: int | None = None
    if match:
        digits = match.group(1)
        year = int(digits) if len(digits) == 4 else _expand_year(int(digits), this_year)
        if not PLAUSIBLE_YEARS[0] <= year <= PLAUSIBLE_YEARS[1]:
            year = None
        text = text[: match.start()]
    name = collapse_spaces(text.strip().strip(_QUOTES))
    canonical = _CANONICAL.get(name.casefold())
    if canonical:
        return canonical, year
    # Unknown venues keep their spelling only when they look like a name and carry a year;
    # a lone "x" or "?" is a placeholder for "don't know".
    if year is not None and _WELL_FORMED.fullmatch(name):
        return name, year
    return "", year


def venue_from_bibtex(fields: dict[str, str]) -> str:
    """Short venue from an entry's booktitle/journal (keys looked up case-insensitively)."""
    return venue_from_casefolded({key.casefold(): value for key, value in fields.items()})


def venue_from_casefolded(lowered: dict[str, str]) -> str:
    """``venue_from_bibtex`` for fields whose names are casefolded already."""
    long_name = lowered.get("booktitle") or lowered.get("journal") or lowered.get("journaltitle")
    if not long_name or not long_name.strip():
        archive = lowered.get("archiveprefix", "") + " " + lowered.get("eprinttype", "")
        if _ARXIV.search(archive):
            return "arXiv"
        long_name = lowered.get("howpublished") or lowered.get("publisher") or ""
    return _venue_from_name(long_name)


@functools.lru_cache(maxsize=4096)
def _venue_from_name(long_name: str) -> str:
    # Cached: a bibliography repeats the same few booktitles thousands of times.
    name = collapse_spaces(strip_latex(long_name))
    if not name:
        return ""
    if _ARXIV.search(name):
        return "arXiv"
    for acronym in reversed(_PAREN_ACRONYM.findall(name)):
        if sum(ch.isupper() for ch in acronym) >= 2:
            return canonical_venue(acronym)
    folded = name.casefold()
    if folded in _CANONICAL:
        return _CANONICAL[folded]
    for pattern, venue in _LONG_NAMES:
        if pattern.search(folded):
            return venue
    return name
