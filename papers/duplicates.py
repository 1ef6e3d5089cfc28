"""Finding papers that probably are the same paper under different titles.

Identical titles (up to case, punctuation and LaTeX) are merged at import by
their title key. This module catches the rest, such as an arXiv title against
the proceedings title, and only *proposes* them: an organizer decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .models import DuplicateCandidate, Paper
from .parsing.titles import fold

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "towards",
        "toward",
        "via",
        "with",
        "using",
        "over",
        "under",
        "through",
        "than",
        "its",
        "is",
        "are",
    ]
)
# A shared name plus this much word overlap is a candidate ("SLoRA" vs "S-LoRA").
NAMED_OVERLAP = 0.2
# Without a shared name, titles must share this much of their words.
PLAIN_OVERLAP = 0.6
# Words in more papers than this are too common to find candidates through.
MAX_POSTINGS = 400


@dataclass(frozen=True)
class Profile:
    ref: int | str  # a paper id, or the title key of a paper not yet saved
    title: str
    name: str  # short name or a short "Name:" prefix, folded without spaces
    words: frozenset[str]


@dataclass(frozen=True)
class Candidate:
    new_title: str
    other_title: str
    other_id: int | None  # None when the other paper is new in the same import
    score: float
    reason: str


def profile(ref: int | str, title: str, short_name: str) -> Profile:
    name = short_name
    if not name and ":" in title:
        prefix = title.split(":", 1)[0]
        if len(prefix.split()) <= 3:
            name = prefix
    words = frozenset(w for w in fold(title).split() if w not in STOPWORDS)
    return Profile(ref, title, fold(name).replace(" ", ""), words)


def compare(p: Profile, q: Profile) -> tuple[float, str] | None:
    if not p.words or not q.words:
        return None
    shared = len(p.words & q.words)
    overlap = shared / len(p.words | q.words)
    if p.name and p.name == q.name and overlap >= NAMED_OVERLAP:
        return max(overlap, 0.5), f"same name and {shared} shared title words"
    if overlap >= PLAIN_OVERLAP:
        return overlap, f"titles share {shared} of {len(p.words | q.words)} words"
    return None


class _Index:
    """Word -> profiles, so each paper is compared only with papers sharing a word."""

    def __init__(self, profiles: Iterable[Profile]) -> None:
        self.postings: dict[str, list[Profile]] = defaultdict(list)
        for prof in profiles:
            for word in prof.words:
                self.postings[word].append(prof)
            if prof.name:
                self.postings["\0" + prof.name].append(prof)

    def neighbours(self, prof: Profile) -> Iterable[Profile]:
        seen: dict[int | str, Profile] = {}
        keys = [*prof.words, *(["\0" + prof.name] if prof.name else [])]
        for key in keys:
            posting = self.postings.get(key, ())
            if len(posting) > MAX_POSTINGS and not key.startswith("\0"):
                continue
            for other in posting:
                if other.ref != prof.ref:
                    seen[other.ref] = other
        return seen.values()


def _catalogue_profiles() -> list[Profile]:
    rows = Paper.objects.values_list("pk", "title", "short_name")
    return [profile(pk, title, short) for pk, title, short in rows.iterator(chunk_size=2000)]


def find_candidates(new_items: list[tuple[str, str, str]]) -> list[Candidate]:
    """Candidates for papers about to be imported: (title key, title, short name) each."""
    new = [profile(key, title, short) for key, title, short in new_items]
    index = _Index([*_catalogue_profiles(), *new])
    found: dict[frozenset, Candidate] = {}
    for prof in new:
        for other in index.neighbours(prof):
            pair = frozenset((prof.ref, other.ref))
            result = compare(prof, other)
            if result is None or pair in found:
                continue
            other_id = other.ref if isinstance(other.ref, int) else None
            found[pair] = Candidate(prof.title, other.title, other_id, *result)
    return sorted(found.values(), key=lambda c: -c.score)


def record_candidates(new_papers: list[Paper]) -> int:
    """Store candidates between freshly saved papers and the whole catalogue."""
    if not new_papers:
        return 0
    index = _Index(_catalogue_profiles())
    known = set(DuplicateCandidate.objects.values_list("paper_a_id", "paper_b_id"))
    rows = []
    for paper in new_papers:
        prof = profile(paper.pk, paper.title, paper.short_name)
        for other in index.neighbours(prof):
            pair = (min(paper.pk, other.ref), max(paper.pk, other.ref))
            if pair in known:
                continue
            result = compare(prof, other)
            if result is None:
                continue
            known.add(pair)
            score, reason = result
            rows.append(
                DuplicateCandidate(
                    paper_a_id=pair[0], paper_b_id=pair[1], score=score, reason=reason
                )
            )
    DuplicateCandidate.objects.bulk_create(rows, batch_size=500)
    return len(rows)
