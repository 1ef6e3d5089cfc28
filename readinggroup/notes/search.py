"""Full-text search over notes with the database's own engine.

SQLite: the FTS5 table ``notes_fts`` (porter stemming, diacritics folded), kept in
sync by triggers (migration 0003_notes_search). PostgreSQL: ``to_tsvector('english',
…)`` over the same plain text, stored in the generated column ``search_vector``
with the GIN index ``note_search_vector_idx`` (migration 0006). Both index the
Markdown source with HTML tags and link targets removed (the tokenisers ignore the
remaining Markdown punctuation), never ``body_html``.

The notes page searches through :func:`search_page`: it ranks only the
``SEARCH_WINDOW`` newest matches (one cheap pass over the index; ranking every
one of tens of thousands of matches costs a full scan of their positions), so a
search answers in a fixed time at any size, says "500+" rather than counting,
and shows the best of the newest matches, which is what a reading group wants.

What members type is never passed to the engine as syntax: it is reduced to
words, "quoted phrases" and -excluded words, and rebuilt as a query that cannot
fail to parse.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import ExpressionWrapper, F, Func, IntegerField, QuerySet, TextField, Value
from django.db.models.expressions import Col, Expression, RawSQL
from django.db.models.functions import Replace

from readinggroup.models import Note

MAX_TERMS = 12
MAX_TERM_CHARS = 64
PREFIX_MIN_CHARS = 3  # shorter prefixes match nearly everything and are slow
# Marks around hits in the engine's snippet; clean_body keeps them out of notes.
HIT_START, HIT_END = "\x02", "\x03"
SNIPPET_TOKENS = 24
SEARCH_WINDOW = 500  # matches ranked per search, newest first

_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
_WORD_RE = re.compile(r"[^\W_]+")  # letters and digits; everything else separates


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    prefix: bool = False
    exclude: bool = False


def parse_query(query: str) -> list[Term]:
    """Words, "phrases" and -exclusions from whatever was typed; nothing else survives."""
    terms: list[Term] = []
    text = unicodedata.normalize("NFC", query)[:1000]
    for m in _TOKEN_RE.finditer(text):
        quoted = m.group(2) is not None
        exclude = bool(m.group(1) if quoted else m.group(3))
        raw = m.group(2) if quoted else m.group(4)
        words = tuple(w[:MAX_TERM_CHARS].lower() for w in _WORD_RE.findall(raw))
        if not words:
            continue
        if quoted:
            terms.append(Term(words, exclude=exclude))
        else:
            # "state-of-the-art" or "foo.bar" is the words it is made of, each a prefix.
            terms.extend(
                Term((w,), prefix=len(w) >= PREFIX_MIN_CHARS, exclude=exclude) for w in words
            )
        if len(terms) >= MAX_TERMS:
            break
    if not any(not t.exclude for t in terms):
        return []  # exclusions alone would match (almost) everything
    return terms[:MAX_TERMS]


@dataclass(frozen=True)
class Hit:
    pk: int
    rank: float


def search_page(
    query: str, *, notes: QuerySet[Note], page_number: object, per_page: int
) -> tuple[Page, bool]:
    """One page of the best matches among the ``SEARCH_WINDOW`` newest, and whether
    there were more matches than that.

    Two queries whatever the number of notes: the window of (id, rank) ranked by the
    engine, then the page's notes with ``notes``' select_related and their snippets.
    The page's object_list holds Notes with ``rank`` and ``snippet`` (HTML: the
    note's plain text, escaped, with <mark> around hits). A query with no words
    finds nothing.
    """
    terms = parse_query(query)
    hits: list[Hit] = []
    if terms:
        # One more than the window tells whether there are more matches.
        if _vendor(notes) == "sqlite":
            window = _search_sqlite(notes, terms).order_by(RawSQL("notes_fts.rowid", []).desc())
            rows = window.values_list("pk", "rank")[: SEARCH_WINDOW + 1]
        else:
            # "id + 0": with a bare id the planner walks the primary key backwards and
            # runs the match on every note it passes (200 ms for a word in 5% of
            # notes); this keeps it on the GIN index, whose cost follows the matches.
            # The rank is computed in an outer query, so only for the window's notes.
            newest = ExpressionWrapper(F("pk") + 0, output_field=IntegerField())
            window = _search_postgresql(notes, terms).order_by(newest.desc())
            newest_matches = Note.objects.filter(pk__in=window.values("pk")[: SEARCH_WINDOW + 1])
            rows = _rank_postgresql(newest_matches, terms).values_list("pk", "rank")
        hits = sorted((Hit(*row) for row in rows), key=lambda hit: -hit.pk)
    more = len(hits) > SEARCH_WINDOW
    hits = hits[:SEARCH_WINDOW]  # the newest
    hits.sort(key=lambda hit: (-hit.rank, -hit.pk))
    page = Paginator(hits, per_page).get_page(page_number)
    page.object_list = _notes_for(list(page.object_list), notes, terms)
    return page, more


def _vendor(notes: QuerySet[Note]) -> str:
    vendor = connections[notes.db].vendor
    if vendor not in ("sqlite", "postgresql"):  # pragma: no cover - settings allow only these
        raise NotImplementedError(f"Note search does not support {vendor}.")
    return vendor


def _notes_for(hits: list[Hit], notes: QuerySet[Note], terms: list[Term]) -> list[Note]:
    """The page's notes in the hits' order, with their rank and snippet."""
    if not hits:
        return []
    found = notes.filter(pk__in=[hit.pk for hit in hits])
    if _vendor(notes) == "sqlite":
        found = _search_sqlite(found, terms)  # FTS5 makes snippets only where it matches
    else:
        found = found.annotate(snippet=_headline(terms))
    by_pk = {note.pk: note for note in found}
    page = []
    for hit in hits:
        if (note := by_pk.get(hit.pk)) is not None:
            note.rank = hit.rank
            page.append(note)
    return page


def _marked(snippet: F | Func | RawSQL) -> Func:
    """Escape the engine's snippet for HTML, then turn its hit markers into <mark>."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        snippet = Replace(snippet, Value(char), Value(entity))
    snippet = Replace(snippet, Value("'"), Value("&#x27;"))
    snippet = Replace(snippet, Value(HIT_START), Value("<mark>"))
    return Replace(snippet, Value(HIT_END), Value("</mark>"), output_field=TextField())


# --- SQLite FTS5 ------------------------------------------------------------------


def fts5_query(terms: list[Term]) -> str:
    """Every word double-quoted, so FTS5 sees no operators or column names in it."""

    def one(term: Term) -> str:
        return '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")

    wanted = " AND ".join(one(t) for t in terms if not t.exclude)
    unwanted = " OR ".join(one(t) for t in terms if t.exclude)
    return f"({wanted}) NOT ({unwanted})" if unwanted else wanted


def _search_sqlite(notes: QuerySet[Note], terms: list[Term]) -> QuerySet[Note]:
    # A join, not a subquery per row: FTS5 evaluates the match once, and its
    # rank and snippet functions only work in the query that does the MATCH.
    snippet = RawSQL(
        "snippet(notes_fts, 0, char(2), char(3), '…', %s)", [SNIPPET_TOKENS], TextField()
    )
    # Fixed SQL; the user's query is only ever a parameter.
    return notes.extra(
        tables=["notes_fts"],
        where=["notes_fts.rowid = readinggroup_note.id", "notes_fts MATCH %s"],
        params=[fts5_query(terms)],
    ).annotate(rank=RawSQL("-bm25(notes_fts)", []), snippet=_marked(snippet))


# --- PostgreSQL -------------------------------------------------------------------

SEARCH_CONFIG = "english"


def plain_text() -> Func:
    """The note's text without HTML tags or link targets, for snippets.

    Migration 0006's stored search_vector is to_tsvector('english', COALESCE(this,
    '')): keep the two identical, or snippets highlight other words than were found.
    """
    no_tags = Func(F("body"), Value("<[^>]*>"), Value(" "), Value("g"), function="regexp_replace")
    # "](target)" of Markdown links and images; [] and () inside brackets avoid backslashes.
    return Func(
        no_tags,
        Value("[]][(][^)]*[)]"),
        Value("]"),
        Value("g"),
        function="regexp_replace",
        output_field=TextField(),
    )


def tsquery(terms: list[Term]) -> str:
    """A to_tsquery() expression; words are letters and digits only, so quoting is safe."""

    def one(term: Term) -> str:
        phrase = " <-> ".join(f"'{w}'" for w in term.words)
        return phrase + (":*" if term.prefix else "")

    parts = [one(t) for t in terms if not t.exclude]
    parts += [f"!({one(t)})" for t in terms if t.exclude]
    return " & ".join(parts)


def _tsquery(terms: list[Term]):
    from django.contrib.postgres.search import SearchQuery

    return SearchQuery(tsquery(terms), search_type="raw", config=SEARCH_CONFIG)


def _headline(terms: list[Term]) -> Func:
    from django.contrib.postgres.search import SearchHeadline

    # As in the SQLite index: no stray hit markers, no bold/code/strike-through marks.
    text = plain_text()
    for mark in (HIT_START, HIT_END, "**", "__", "`", "~~"):
        text = Replace(text, Value(mark))
    headline = SearchHeadline(
        text,
        _tsquery(terms),
        config=SEARCH_CONFIG,
        start_sel=HIT_START,
        stop_sel=HIT_END,
        max_words=SNIPPET_TOKENS,
        min_words=SNIPPET_TOKENS // 2,
    )
    return _marked(headline)


class StoredVector(Expression):
    """The note's stored tsvector: the generated column ``search_vector`` that
    migration 0006 adds on PostgreSQL (the Note model cannot declare it, SQLite
    could not create it). A column of the query's own note table, so it follows
    the table's alias when the query becomes a subquery."""

    def resolve_expression(self, query=None, *args, **kwargs) -> Col:
        from django.contrib.postgres.search import SearchVectorField

        column = SearchVectorField()
        column.set_attributes_from_name("search_vector")
        return Col(query.get_initial_alias(), column, output_field=column)


def _rank_postgresql(notes: QuerySet[Note], terms: list[Term]) -> QuerySet[Note]:
    from django.contrib.postgres.search import SearchRank

    return notes.annotate(rank=SearchRank(StoredVector(), _tsquery(terms)))


def _search_postgresql(notes: QuerySet[Note], terms: list[Term]) -> QuerySet[Note]:
    return notes.alias(search=StoredVector()).filter(search=_tsquery(terms))
