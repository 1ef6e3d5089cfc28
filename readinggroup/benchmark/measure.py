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
from readinggroup.generations import bump
from readinggroup.models import DataArea

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
    the time and queries of a request just after a change, when nothing it shows can
    come from the cache (``cold_ms``: the median of COLD_RUNS, in-process)."""
    headers = {"HX-Request": "true"} if page.htmx else {}
    client.get(page.path, headers=headers)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.path, headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    cold_ms = []
    for _ in range(COLD_RUNS):
        bump(DataArea)  # as after a write to every area: every cached rendering is stale
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


def time_bibtex_import(entries: int = 10_000, seed: int = 7) -> dict:
    """Importing a generated BibTeX file against parsing it with bibtexparser alone."""
    import bibtexparser

    text = bibtex_file(entries, seed)
    data = text.encode()
    bibtexparser.parse_string(bibtex_file(5, seed + 1))  # imports and warm-up for both
    # Both runs start from the same heap: the parsed library is dropped before the
    # import, or its objects would slow the import's garbage collections.
    gc.collect()
    started = time.perf_counter()
    library = bibtexparser.parse_string(text)
    parse_seconds = time.perf_counter() - started
    parsed_entries = len(library.entries)
    del library
    gc.collect()
    started = time.perf_counter()
    document = parse_document("bench-import.bib", data, max_bytes=len(data) + 1)
    parsed_seconds = time.perf_counter() - started
    with CaptureQueriesContext(connection) as queries:
        report = apply_import(document, content_sha256=content_digest(data))
    import_seconds = time.perf_counter() - started
    return {
        "entries": entries,
        "bytes": len(data),
        "bibtexparser_entries": parsed_entries,
        "parse_seconds": round(parse_seconds, 3),
        "import_seconds": round(import_seconds, 3),
        "import_parse_seconds": round(parsed_seconds, 3),
        "import_write_seconds": round(import_seconds - parsed_seconds, 3),
        "ratio": round(import_seconds / parse_seconds, 2),
        "queries": len(queries.captured_queries),
        "papers_created": report.papers_created,
        "problems": len(report.problems),
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
