"""Full-text search over notes: SQLite FTS5 or PostgreSQL full-text, never LIKE."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readinggroup.models import Note
from readinggroup.notes import actions
from readinggroup.notes.actions import post_note
from readinggroup.notes.search import (
    SEARCH_CONFIG,
    SEARCH_WINDOW,
    Term,
    fts5_query,
    parse_query,
    plain_text,
    search_page,
    tsquery,
)
from tests.factories import PaperFactory
from tests.html import shown_notes

pytestmark = pytest.mark.django_db

NOTES = reverse("notes:note_list")
ODD_QUERIES = [
    '"',
    '""',
    '"unclosed phrase',
    "*",
    "sched*",
    "-",
    "--",
    "-paging",
    "AND",
    "OR NOT",
    "a AND (b OR",
    ")(",
    "NEAR(a b, 3)",
    "body:paging",
    "^paging",
    "paging:*",
    "'",
    "it's",
    "\\",
    "!paging & | <-> :",
    "{curly} [square]",
    "%_",
    "日本語のメモ",
    "naïve café",
    "straße",
    "🚀 rocket",
    "x" * 500,
    " ".join(["word"] * 100),
]


@pytest.fixture
def paper():
    return PaperFactory()


def _note(author, paper, body: str) -> Note:
    return post_note(author=author, body=body, paper=paper)


def _search(query: str, notes: QuerySet[Note] | None = None) -> list[Note]:
    """The first page of what the notes page would find, one window's worth."""
    notes = Note.objects.all() if notes is None else notes
    page, _ = search_page(query, notes=notes, page_number=1, per_page=SEARCH_WINDOW)
    return page.object_list


def _found(query: str) -> list[str]:
    return [n.body for n in _search(query)]


# --- Parsing what members type --------------------------------------------------------


def test_parse_query_words_phrases_and_exclusions() -> None:
    assert parse_query('Paging "virtual memory" -swap os') == [
        Term(("paging",), prefix=True),
        Term(("virtual", "memory")),
        Term(("swap",), prefix=True, exclude=True),
        Term(("os",)),
    ]


def test_parse_query_punctuation_only_separates_words() -> None:
    assert parse_query("state-of-the-art foo.bar_baz") == [
        Term(("state",), prefix=True),
        Term(("of",)),
        Term(("the",), prefix=True),
        Term(("art",), prefix=True),
        Term(("foo",), prefix=True),
        Term(("bar",), prefix=True),
        Term(("baz",), prefix=True),
    ]


@pytest.mark.parametrize("query", ["", "   ", "-only -excluded", '"" * ( )', "!@#$%^&*"])
def test_parse_query_without_wanted_words_is_empty(query: str) -> None:
    assert parse_query(query) == []


def test_parse_query_caps_terms_and_length() -> None:
    terms = parse_query(" ".join(f"w{i}" for i in range(40)) + " " + "y" * 200)
    assert len(terms) == 12
    assert max(len(t.words[0]) for t in parse_query("y" * 200)) == 64


def test_fts5_query_quotes_every_word() -> None:
    terms = parse_query('Paging "virtual memory" -swap os AND')
    assert fts5_query(terms) == (
        '("paging"* AND "virtual memory" AND "os" AND "and"*) NOT ("swap"*)'
    )


def test_tsquery_quotes_every_word() -> None:
    terms = parse_query('Paging "virtual memory" -swap os')
    assert tsquery(terms) == "'paging':* & 'virtual' <-> 'memory' & 'os' & !('swap':*)"


# --- Searching --------------------------------------------------------------------------


def test_search_notes_finds_by_words(member, paper) -> None:
    _note(member, paper, "PagedAttention keeps the KV cache in blocks")
    _note(member, paper, "Gang scheduling for deep learning jobs")
    assert _found("kv cache") == ["PagedAttention keeps the KV cache in blocks"]
    assert _found("deep jobs") == ["Gang scheduling for deep learning jobs"]
    assert _found("cache jobs") == []


def test_search_notes_matches_word_forms_and_prefixes(member, paper) -> None:
    _note(member, paper, "The scheduler schedules jobs")
    _note(member, paper, "Nothing relevant here")
    assert _found("scheduling") == ["The scheduler schedules jobs"]  # stem
    assert _found("sched") == ["The scheduler schedules jobs"]  # prefix, as typed live
    assert _found("job") == ["The scheduler schedules jobs"]


def test_search_notes_phrase_and_exclusion(member, paper) -> None:
    _note(member, paper, "virtual memory for paging")
    _note(member, paper, "memory is virtual, paging is not")
    _note(member, paper, "memory is virtual, attention is not")
    assert _found('"virtual memory"') == ["virtual memory for paging"]
    assert _found("memory -paging") == ["memory is virtual, attention is not"]


def test_search_notes_folds_case_and_on_sqlite_diacritics(member, paper) -> None:
    _note(member, paper, "Mélange serves LLMs cheaply")
    assert _found("MÉLANGE") == ["Mélange serves LLMs cheaply"]
    # FTS5 folds diacritics; PostgreSQL's "english" configuration does not (no unaccent).
    folded = ["Mélange serves LLMs cheaply"] if connection.vendor == "sqlite" else []
    assert _found("melange") == folded


def test_search_notes_ranks_better_matches_first(member, paper) -> None:
    _note(member, paper, "Quantization is mentioned once among many other unrelated words here")
    _note(member, paper, "Quantization, quantization and more quantization")
    _note(member, paper, "No match at all")
    results = list(_search("quantization"))
    assert [n.body for n in results] == [
        "Quantization, quantization and more quantization",
        "Quantization is mentioned once among many other unrelated words here",
    ]
    assert results[0].rank > results[1].rank


def test_search_notes_highlights_hits_with_mark(member, paper) -> None:
    _note(member, paper, "Kubernetes scheduling is hard")
    [note] = _search("scheduling")
    assert note.snippet == "Kubernetes <mark>scheduling</mark> is hard"


def test_search_notes_snippet_is_escaped_plain_text(member, paper) -> None:
    _note(member, paper, 'If a < b & "c" then **bold** [paging](https://example.org/x) `x`')
    [note] = _search("paging")
    assert note.snippet == ("If a &lt; b &amp; &quot;c&quot; then bold [<mark>paging</mark>] x")


def test_search_notes_snippet_cannot_inject_html(member, paper) -> None:
    _note(member, paper, "<b onmouseover=alert(1)>paging</b> &lt;script&gt; x > y")
    [note] = _search("paging")
    assert "<b" not in note.snippet and "<script" not in note.snippet
    assert note.snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_search_notes_indexes_text_not_markup(member, paper) -> None:
    _note(member, paper, '[the paper](https://arxiv.org/abs/2309.06180) <div class="wide">x</div>')
    assert _found("paper") != []
    for markup in ("arxiv", "2309", "abs", "div", "class", "wide", "href", "nofollow", "strong"):
        assert _found(markup) == [], markup


def test_search_notes_follows_edits_and_deletes(member, paper) -> None:
    note = _note(member, paper, "about paging")
    actions.edit_note(note=note, body="about swapping")
    assert _found("paging") == [] and _found("swapping") == ["about swapping"]
    actions.set_hidden(note=note, hidden=True)  # not a body change: still indexed once
    assert _found("swapping") == ["about swapping"]
    actions.delete_note(note=note)
    assert _found("swapping") == []


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_search_notes_odd_query_does_not_raise(member, paper, query: str) -> None:
    _note(member, paper, "paging and scheduling")
    assert _found(query) in ([], ["paging and scheduling"])


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_notes_page_odd_query_answers(member_client: Client, member, paper, query: str) -> None:
    _note(member, paper, "paging and scheduling")
    response = member_client.get(NOTES, {"q": query})
    assert response.status_code == 200
    assert shown_notes(response.content.decode()) in ([], ["paging and scheduling"])


def test_notes_page_null_character_in_query_says_so(member_client: Client, member, paper) -> None:
    _note(member, paper, "paging and scheduling")
    response = member_client.get(NOTES, {"q": "pag\x00ing"})
    assert response.status_code == 200
    assert (
        "Search ignored: Searches cannot contain control characters such as NUL"
        in response.content.decode()
    )
    assert shown_notes(response.content.decode()) == ["paging and scheduling"]  # browsing


def test_search_notes_uses_the_full_text_engine_never_like(member, paper) -> None:
    _note(member, paper, "paging")
    with CaptureQueriesContext(connection) as queries:
        assert _found("paging") == ["paging"]
    window, page = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "sqlite":
        assert "notes_fts MATCH" in window and "bm25(notes_fts)" in window
        assert "notes_fts MATCH" in page and "snippet(notes_fts" in page
    else:
        assert '"search_vector" @@ (to_tsquery' in window and "ts_rank" in window
        assert "ts_headline" in page
    assert " LIKE " not in (window + page).upper()


def test_search_notes_hidden_notes_only_for_author_and_organizers(
    member, other_member, organizer, paper
) -> None:
    note = _note(member, paper, "a hidden remark about paging")
    actions.set_hidden(note=note, hidden=True)
    for user, expected in ((member, [note]), (organizer, [note]), (other_member, [])):
        assert list(_search("paging", notes=Note.objects.visible_to(user))) == expected


def test_notes_page_search_hides_hidden_notes_from_other_members(
    member, other_member, paper, member_client: Client
) -> None:
    note = _note(member, paper, "a hidden remark about paging")
    actions.set_hidden(note=note, hidden=True)
    client = Client()
    client.force_login(other_member)
    assert "hidden remark" not in client.get(NOTES, {"q": "paging"}).content.decode()
    assert "hidden remark" in member_client.get(NOTES, {"q": "paging"}).content.decode()


def test_notes_page_search_ranks_and_highlights(member_client: Client, member, paper) -> None:
    _note(member, paper, "once: batching")
    _note(member, paper, "batching, batching, batching")
    response = member_client.get(NOTES, {"q": "batching"})
    assert shown_notes(response.content.decode()) == [
        "batching, batching, batching",
        "once: batching",
    ]
    html = response.content.decode()
    assert '<p class="note-snippet"><mark>batching</mark>, <mark>batching</mark>' in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GIN index")
def test_search_notes_uses_gin_index_on_postgresql(member, paper) -> None:
    _note(member, paper, "paging")
    with CaptureQueriesContext(connection) as queries:
        assert _found("paging") == ["paging"]
    window = queries.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {window}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "note_search_vector_idx" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's stored tsvector")
def test_note_search_vector_is_the_plain_text_snippets_are_made_from(member, paper) -> None:
    from django.contrib.postgres.search import SearchVector

    note = _note(member, paper, "**Bold** <em>tag</em> and [link](https://x.org) a < b")
    note.body = "now about <b>batching</b> [see](https://paging.example)"
    note.save()
    expected = (
        Note.objects.filter(pk=note.pk)
        .annotate(v=SearchVector(plain_text(), config=SEARCH_CONFIG))
        .values_list("v", flat=True)
        .get()
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector FROM readinggroup_note WHERE id = %s", [note.pk])
        [(stored,)] = cursor.fetchall()
    assert stored == expected == "'batch':3 'see':4"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 table")
def test_notes_fts_holds_plain_text_of_each_note(member, paper) -> None:
    note = _note(member, paper, "**Bold** <em>tag</em> and [link](https://x.org) a < b")
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid, body FROM notes_fts")
        assert cursor.fetchall() == [(note.pk, "Bold  tag  and [link] a < b")]


@pytest.mark.django_db(transaction=True)
def test_migration_indexes_notes_written_before_it(member, paper) -> None:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("readinggroup", "0002_sessions_notes")])
    Note.objects.create(author=member, paper=paper, body="older <b>paging</b> note", body_html="x")
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    [note] = _search("paging")
    assert note.snippet == "older  <mark>paging</mark>  note"
