"""Finding papers that probably are the same paper under different titles.

Identical titles (up to case, punctuation and LaTeX) are merged at import by
their title key. This module catches the rest, such as an arXiv title against
the proceedings title, and only *proposes* them: an organizer decides.

Every search compares its papers with each other and with the papers searched
before them, so each pair is looked at once. An import of up to INLINE_SEARCH_LIMIT
new papers searches them itself, and its report and preview list what it found.
A bigger one marks its papers pending and leaves the search to the background task
``papers.search_duplicates`` (``search_pending``): for 10,000 new titles it takes as
long as the rest of the import, and the catalogue need not wait for it.

Searches, imports and merges take ``search_lock`` first, so that no search reads the
catalogue while another change to which papers exist or are searched is under way:
otherwise a small import and a background search running side by side would each
miss the other's papers for good.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

from django.db import connection, transaction

from .models import RECOUNT_BATCH, DuplicateCandidate, Paper
from .parsing.titles import fold

# Rows per INSERT: well under SQLite's limit on a statement's parameters.
BATCH_SIZE = 500

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
# An import with more new papers leaves their search to the background task. At this
# size the search takes a few tens of milliseconds; it grows with the square of the
# new papers sharing words, to 0.5 s at 10,000.
INLINE_SEARCH_LIMIT = 1000
# pg_advisory_xact_lock key of search_lock (any constant; "dups" in ASCII).
_SEARCH_LOCK_KEY = 0x64757073


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
    # The two papers' refs (a paper id, or the title key of a paper not yet saved).
    new_ref: int | str = ""
    other_ref: int | str = ""


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
    """Word -> papers, so each paper is compared only with papers sharing words.

    A pair is a candidate only when it shares a name, or a word found in at most
    MAX_POSTINGS papers, and ``compare`` accepts it. Without a shared name a pair needs
    PLAIN_OVERLAP (3/5) of its words in common: the papers found through a title's rare
    words, with how many of them each shares, plus one bit mask of the common words each
    holds, give the exact number of shared words without comparing word sets, so only
    pairs ``compare`` will accept (or that share a name) are compared.
    """

    def __init__(self, profiles: Iterable[Profile]) -> None:
        # Postings hold positions in self.profiles, ascending, so a range can be cut out.
        self.profiles: list[Profile] = list(profiles)
        self.postings: dict[str, list[int]] = defaultdict(list)
        for position, prof in enumerate(self.profiles):
            for word in prof.words:
                self.postings[word].append(position)
            if prof.name:
                self.postings["\0" + prof.name].append(position)
        # Words too common to find candidates through, one bit each: counting the ones two
        # titles share is then one AND.
        self.bits = bits = {
            word: 1 << i
            for i, word in enumerate(
                w for w, found in self.postings.items() if len(found) > MAX_POSTINGS
            )
        }
        self.common = [sum(bits.get(w, 0) for w in prof.words) for prof in self.profiles]
        self.lengths = [len(prof.words) for prof in self.profiles]

    def neighbours(self, prof: Profile, skip: tuple[int, int]) -> list[Profile]:
        """The profiles ``compare`` may accept with ``prof``, each once, never itself,
        leaving out those at positions ``skip[0] <= position < skip[1]``."""
        postings, common, lengths = self.postings, self.common, self.lengths
        low, high = skip
        found_at: list[int] = []
        n = len(prof.words)
        rare = [w for w in prof.words if len(postings.get(w, ())) <= MAX_POSTINGS]
        if rare:
            mask = sum(self.bits.get(w, 0) for w in prof.words)
            # shared/union >= 3/5 means 5 * shared >= 3 * union >= 3 * n (exact integers);
            # at most mask.bit_count() of the shared words are common ones.
            hits = max(1, (3 * n + 4) // 5 - mask.bit_count())
            slices = []
            for word in rare:
                posting = postings[word]
                slices.append(posting[: bisect_left(posting, low)])
                slices.append(posting[bisect_left(posting, high) :])
            counts = Counter(chain.from_iterable(slices))
            for position, found in counts.items():
                if found >= hits:
                    shared = found + (mask & common[position]).bit_count()  # exactly
                    if 5 * shared >= 3 * (n + lengths[position] - shared):
                        found_at.append(position)
        if prof.name:
            named = postings.get("\0" + prof.name, ())
            found_at.extend(p for p in named if not low <= p < high)
        profiles = self.profiles
        return [profiles[p] for p in dict.fromkeys(found_at) if profiles[p].ref != prof.ref]


def _catalogue_profiles() -> list[Profile]:
    # Pending papers are compared with these when their own search runs.
    rows = Paper.objects.duplicate_search_done().values_list("pk", "title", "short_name")
    return [profile(pk, title, short) for pk, title, short in rows.iterator(chunk_size=2000)]


def _candidates(new: list[Profile], index: _Index, first: int) -> list[Candidate]:
    """Candidates between each new profile and every other profile of the index.

    The new profiles sit in the index in this order from position ``first`` on, so
    each search leaves out itself and the new ones searched before it (their pairs
    with it are found already): no pair is found twice.
    """
    found: list[Candidate] = []
    for number, prof in enumerate(new):
        for other in index.neighbours(prof, (first, first + number + 1)):
            result = compare(prof, other)
            if result is None:
                continue
            other_id = other.ref if isinstance(other.ref, int) else None
            found.append(Candidate(prof.title, other.title, other_id, *result, prof.ref, other.ref))
    return sorted(found, key=lambda c: -c.score)


def find_candidates(new_items: list[tuple[int | str, str, str]]) -> list[Candidate]:
    """Candidates between these papers and with the searched catalogue: (ref, title,
    short name) each, the ref a paper id or the title key of a paper not yet saved."""
    new = [profile(key, title, short) for key, title, short in new_items]
    catalogue = _catalogue_profiles()
    return _candidates(new, _Index([*catalogue, *new]), first=len(catalogue))


def search_lock() -> None:
    """Wait until no other search, import or merge is under way, and hold that until the
    current transaction ends. On SQLite writing transactions are IMMEDIATE, so they
    run one at a time already."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEARCH_LOCK_KEY])


def search_pending() -> int:
    """Search the papers pending a duplicate search: with each other and with every
    searched paper. Stores the candidates and marks the papers searched; how many
    candidates.

    Runs twice harmlessly: under search_lock a second run waits for the first and
    finds none left; a pair already decided on (merges move decisions) is not
    proposed again.
    """
    with transaction.atomic():
        search_lock()
        pending = list(
            Paper.objects.duplicate_search_pending()
            .order_by("pk")
            .values_list("pk", "title", "short_name")
        )
        if not pending:
            return 0
        created = save_candidates(find_candidates(pending), ignore_conflicts=True)
        # By id, not by "pending": papers another import adds meanwhile are not searched yet.
        ids = [pk for pk, _title, _short in pending]
        for start in range(0, len(ids), RECOUNT_BATCH):
            Paper.objects.filter(pk__in=ids[start : start + RECOUNT_BATCH]).update(
                duplicate_search_pending=False
            )
    return created


def save_candidates(
    candidates: Iterable[Candidate],
    pk_by_ref: dict[int | str, int] | None = None,
    *,
    ignore_conflicts: bool = False,
) -> int:
    """Store candidates; how many were stored (pairs already stored are skipped with
    ``ignore_conflicts``). ``pk_by_ref`` maps the refs of papers that were not saved
    when the candidates were found (title keys) to their ids."""
    pk_by_ref = pk_by_ref or {}
    rows = []
    for candidate in candidates:
        a = pk_by_ref.get(candidate.new_ref, candidate.new_ref)
        b = pk_by_ref.get(candidate.other_ref, candidate.other_ref)
        rows.append(
            DuplicateCandidate(
                paper_a_id=min(a, b),
                paper_b_id=max(a, b),
                score=candidate.score,
                reason=candidate.reason,
            )
        )
    if not rows:
        return 0
    if not ignore_conflicts:
        return len(DuplicateCandidate.objects.bulk_create(rows, batch_size=BATCH_SIZE))
    # bulk_create does not say how many rows a conflict skipped: count around it, which
    # is exact under search_lock (the only writer of candidates meanwhile).
    before = DuplicateCandidate.objects.count()
    DuplicateCandidate.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
    return DuplicateCandidate.objects.count() - before
