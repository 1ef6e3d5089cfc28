"""Measurements made inside a Django process against the benchmark's database.

SQL queries per request and response bytes come from Django's test Client with
CaptureQueriesContext (the same views, middleware and login as under gunicorn).
The import, the digest and their query counts are timed here too.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import statistics
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from papers.importing import apply_import, content_digest
from papers.parsing.detect import parse_document
from papers.parsing.titles import title_key
from readinggroup.models import Session

from . import vocabulary as words
from .generate import author_list, paper_title, paper_year
from .pages import Page


def logged_in_client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def session_cookie(client: Client) -> str:
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


COLD_RUNS = 5


def probe_page(client: Client, page: Page) -> dict:
    """Status, body bytes and SQL queries of one request (after one to warm up); and
    the time and queries of a request just after a change (``cold_ms``: the median of
    COLD_RUNS, in-process). Nothing is cached, so the two should agree."""
    headers = {"HX-Request": "true"} if page.htmx else {}
    client.get(page.path, headers=headers)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.path, headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    cold_ms = []
    for _ in range(COLD_RUNS):
        latest = Session.objects.order_by("-pk").values("pk")[:1]
        Session.objects.filter(pk__in=latest).touch()  # a real change just before the view
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as cold_queries:
            client.get(page.path, headers=headers)
        cold_ms.append((time.perf_counter() - started) * 1000)
    result = {
        "status": response.status_code,
        "bytes": len(body),
        "queries": len(queries.captured_queries),
        "cold_ms": round(statistics.median(cold_ms), 2),
        "cold_queries": len(cold_queries.captured_queries),
        "is_fragment": b"<html" not in body[:2000].lower(),
        "problem": "",
    }
    if response.status_code != 200:
        where = response.get("Location", "")
        result["problem"] = f"answers {response.status_code}" + (f" → {where}" if where else "")
    elif page.htmx and not result["is_fragment"]:
        result["problem"] = "htmx request answered with a whole page"
    return result


# --- BibTeX import ----------------------------------------------------------------------


def bibtex_file(entries: int, seed: int) -> str:
    """``entries`` distinct papers in BibTeX, some with braces and accents as Scholar writes."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out = []
    while len(out) < entries:
        title, _ = paper_title(rng)
        key = title_key(title)
        if key in seen:
            continue
        seen.add(key)
        if rng.random() < 0.05:
            first, rest = title.split(" ", 1) if " " in title else (title, "")
            title = f"{{{first}}} {rest}".strip()
        authors = author_list(rng)
        if rng.random() < 0.03:
            authors += " and J{\\'e}r{\\^o}me M{\\\"u}ller"
        year = paper_year(rng)
        venue = rng.choice(words.VENUES)
        where = "journal = {arXiv preprint}" if venue == "arXiv" else f"booktitle = {{{venue}}}"
        kind = "article" if venue == "arXiv" else "inproceedings"
        out.append(
            f"@{kind}{{bench{len(out)},\n"
            f"  title = {{{title}}},\n"
            f"  author = {{{authors}}},\n"
            f"  {where},\n"
            f"  year = {{{year}}},\n"
            f"  pages = {{{rng.randint(1, 500)}--{rng.randint(501, 900)}}},\n"
            f"  doi = {{10.1145/{rng.randint(1000000, 9999999)}}},\n"
            f"}}\n"
        )
    return "\n".join(out)


def time_bibtex_import(entries: int = 10_000, seed: int = 7, repeats: int = 3) -> dict:
    """Importing a generated BibTeX file against parsing it with bibtexparser alone.

    Each of ``repeats`` rounds parses the file with bibtexparser, then imports it for
    real (committed) into the same catalogue, then runs the duplicate search the import
    left to the background task when it brought too many new papers, then deletes what
    the import created. The medians are reported: one noisy round decides nothing. An
    untimed round first warms both up, as a long-running worker is warm: the first
    round in a fresh process also pays for growing its heap.
    """
    import bibtexparser

    text = bibtex_file(entries, seed)
    data = text.encode()
    bibtexparser.parse_string(text)  # the warm-up round
    _import_and_undo(data, "bench-warm-up.bib")
    rounds = []
    for _ in range(repeats):
        # Both runs start from the same heap: the parsed library is dropped before the
        # import, or its objects would slow the import's garbage collections.
        gc.collect()
        started = time.perf_counter()
        library = bibtexparser.parse_string(text)
        parse_seconds = time.perf_counter() - started
        parsed_entries = len(library.entries)
        del library
        gc.collect()
        measured = _import_and_undo(data)
        write_seconds = measured["import_seconds"] - measured["import_parse_seconds"]
        rounds.append({"parse_seconds": parse_seconds, "write_seconds": write_seconds, **measured})
    middle = {
        name: statistics.median(r[name] for r in rounds)
        for name in (
            "parse_seconds",
            "import_seconds",
            "import_parse_seconds",
            "write_seconds",
            "search_seconds",
        )
    }
    last = rounds[-1]
    return {
        "entries": entries,
        "bytes": len(data),
        "repeats": repeats,
        "bibtexparser_entries": parsed_entries,
        "parse_seconds": round(middle["parse_seconds"], 3),
        "import_seconds": round(middle["import_seconds"], 3),
        "import_parse_seconds": round(middle["import_parse_seconds"], 3),
        "import_write_seconds": round(middle["write_seconds"], 3),
        "ratio": round(middle["import_seconds"] / middle["parse_seconds"], 2),
        "ratios": [round(r["import_seconds"] / r["parse_seconds"], 2) for r in rounds],
        "queries": last["queries"],
        "papers_created": last["papers_created"],
        "problems": last["problems"],
        "duplicate_search": "background" if last["search_pending"] else "in the import",
        "candidates": last["candidates"],
        "search_seconds": round(middle["search_seconds"], 3),
    }


def _import_and_undo(data: bytes, filename: str = "bench-import.bib") -> dict:
    """Import ``data`` (timed, committed), run the background duplicate search it leaves
    (timed apart), then delete every row the import created. (The generated titles are
    all new to the catalogue, so the import changes no paper that was there before.)"""
    from papers.duplicates import search_pending
    from papers.models import Paper, ReadingList
    from readinggroup.models import OutboxMessage

    before = Paper.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    messages_before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    started = time.perf_counter()
    document = parse_document(filename, data, max_bytes=len(data) + 1)
    parsed_seconds = time.perf_counter() - started
    with CaptureQueriesContext(connection) as queries:
        report = apply_import(document, content_sha256=content_digest(data))
    import_seconds = time.perf_counter() - started
    started = time.perf_counter()
    searched = search_pending()
    search_seconds = time.perf_counter() - started
    # Nothing else writes meanwhile: the papers after ``before`` are the import's.
    Paper.objects.filter(pk__gt=before).delete()
    ReadingList.objects.filter(pk=report.reading_list.pk).delete()
    OutboxMessage.objects.filter(pk__gt=messages_before or 0).delete()  # the search's message
    return {
        "import_seconds": import_seconds,
        "import_parse_seconds": parsed_seconds,
        "search_seconds": search_seconds,
        "queries": len(queries.captured_queries),
        "papers_created": report.papers_created,
        "problems": len(report.problems),
        "search_pending": report.duplicate_search_pending,
        "candidates": searched if report.duplicate_search_pending else report.candidates_created,
    }


# --- weekly digest ----------------------------------------------------------------------


def digest_builder() -> Callable | None:
    try:
        from readinggroup.notifications.digest import build_weekly_digests
    except ImportError:
        return None
    return build_weekly_digests


def time_digest(now: dt.datetime, *, rollback: bool = True) -> dict:
    """Build the weekly digest for every member; time and queries. Writes nothing if rollback."""
    from readinggroup.models import User

    build = digest_builder()
    if build is None:
        return {"missing": "readinggroup.notifications.digest.build_weekly_digests not found"}
    # Every member of the group, loaded beforehand: "the digest for 1,000 members".
    members = list(User.objects.order_by("pk"))
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = build(now=now, members=members)
        seconds = time.perf_counter() - started
        transaction.set_rollback(rollback)
    try:
        built = len(result)
    except TypeError:
        built = None
    return {
        "members": len(members),
        "digests": built,
        "seconds": round(seconds, 3),
        "queries": len(queries.captured_queries),
    }
