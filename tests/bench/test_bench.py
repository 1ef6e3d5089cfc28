from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from benchmarks import report
from benchmarks.measure import (
    bibtex_file,
    logged_in_client,
    probe_page,
    time_bibtex_import,
    time_digest,
)
from benchmarks.pages import FLOOR, Page, _checked, bench_member, bench_pages
from benchmarks.targets import evaluate
from papers import duplicates
from papers.models import DuplicateCandidate, Paper, ReadingList
from readinggroup.models import Notification, User
from tests.factories import PaperFactory

PAGE_NAMES = {
    "floor", "dashboard", "catalogue filtered", "catalogue search", "paper page", "session page",
    "sessions list", "notes page", "notes search", "members page", "calendar feed",
}  # fmt: skip


def test_bench_pages_are_every_main_page_and_fragment(tiny_group):
    user = bench_member()
    pages = bench_pages(user, "token123")
    assert {p.name for p in pages} == PAGE_NAMES
    assert {p.name for p in pages if p.htmx} == {"catalogue search", "notes search"}
    assert next(p for p in pages if p.name == FLOOR).path == "/healthz"
    assert next(p for p in pages if p.name == "calendar feed").path == "/calendar/token123.ics"
    assert user.role == "member" and user.is_active


def test_probe_page_measures_a_request_after_a_change_like_any_other(committed_tiny_group):
    user = bench_member()
    client = logged_in_client(user)
    pages = {p.name: p for p in bench_pages(user, "tok")}
    search = probe_page(client, pages["notes search"])
    # session, user, the ranked window of matches, the page of notes: with no cache, the
    # request just after a change runs the same queries.
    assert search["queries"] == 4
    assert search["cold_queries"] == search["queries"] and search["cold_ms"] > 0


def test_bench_pages_report_an_unresolved_url_as_missing():
    page = _checked(Page("future page", "/no-such-page/yet/"))
    assert page.missing == "its URL does not resolve yet"


def test_probe_page_counts_queries_and_bytes_as_the_member_sees_them(tiny_group):
    user = bench_member()
    User.objects.filter(pk=user.pk).update(calendar_token="tok")
    client = logged_in_client(user)
    pages = {p.name: p for p in bench_pages(user, "tok")}
    search = probe_page(client, pages["notes search"])
    assert (search["status"], search["problem"], search["is_fragment"]) == (200, "", True)
    assert search["queries"] > 0 and search["bytes"] > 0
    floor = probe_page(client, pages[FLOOR])
    assert (floor["status"], floor["bytes"]) == (200, 2)  # "ok"
    catalogue = probe_page(client, pages["catalogue filtered"])
    assert catalogue["is_fragment"] is False and catalogue["status"] == 200
    redirect = probe_page(logged_in_client(user), Page("login", "/accounts/logout/"))
    assert redirect["problem"].startswith("answers 405")


def test_time_bibtex_import_imports_every_entry_and_compares_with_bibtexparser(db):
    assert bibtex_file(3, seed=1) == bibtex_file(3, seed=1)
    PaperFactory()
    result = time_bibtex_import(40, seed=2)
    assert result["bibtexparser_entries"] == 40
    assert result["papers_created"] == 40
    assert result["problems"] == 0
    assert result["ratio"] > 0 and result["import_seconds"] > result["import_write_seconds"]
    assert len(result["ratios"]) == result["repeats"] == 3
    assert result["duplicate_search"] == "in the import"  # 40 new papers: no background task
    # Each round undoes its import: the catalogue is as it was.
    assert Paper.objects.count() == 1 and not ReadingList.objects.exists()


def test_time_bibtex_import_times_the_background_duplicate_search_apart(db, monkeypatch):
    inline = time_bibtex_import(300, seed=2, repeats=1)
    monkeypatch.setattr(duplicates, "INLINE_SEARCH_LIMIT", 10)
    result = time_bibtex_import(300, seed=2, repeats=1)
    assert result["papers_created"] == 300
    assert result["duplicate_search"] == "background"
    assert result["search_seconds"] > 0
    # The search after the import finds what the import would have found itself.
    assert result["candidates"] == inline["candidates"] > 0
    assert not Paper.objects.exists() and not DuplicateCandidate.objects.exists()


def test_time_digest_builds_for_every_member_and_writes_nothing(tiny_group):
    from django.utils import timezone

    result = time_digest(timezone.now())
    assert result["members"] == User.objects.count() == 8
    assert result["queries"] > 0 and result["seconds"] >= 0
    assert not Notification.objects.exists()


def _run(db: str, size: str, *, queries: int, median: float, floor: float, errors: int = 0):
    def page(name: str, htmx: bool, q: int, ms: float) -> dict:
        load = [
            {"connections": 1, "median_ms": ms, "p95_ms": ms * 2, "rps": 1000 / ms, "errors": 0,
             "requests": 100, "seconds": 10},
            {"connections": 32, "median_ms": ms * 16, "p95_ms": ms * 20, "rps": 900 / ms,
             "errors": errors, "requests": 1000, "seconds": 10},
        ]  # fmt: skip
        return {"name": name, "path": "/", "htmx": htmx, "missing": "", "queries": q,
                "bytes": 100, "cold_ms": ms * 3, "cold_queries": q + 3,
                "load": load}  # fmt: skip

    return {
        "database": db,
        "size": size,
        "counts": {"notes": 200_000},
        "generation": {"seconds": {"seed": 0.3}, "total_seconds": 1.0, "counts": {}},
        "pages": [
            page(FLOOR, False, 2, floor),
            page("notes search", True, queries, median),
            {
                "name": "members page",
                "path": "/members/",
                "htmx": False,
                "missing": "its URL does not resolve yet",
            },
        ],
        "gunicorn_worker_rss_mb": [90.0, 250.0],
        "digest": {"members": 40 if size == "lab" else 1000, "seconds": 0.5, "queries": 7},
        "bibtex_import": {
            "entries": 10000,
            "import_seconds": 3.0,
            "parse_seconds": 1.0,
            "ratio": 3.0,
        }
        if size == "lab"
        else None,
    }


def test_import_target_says_what_the_background_duplicate_search_adds():
    run = _run("postgres", "lab", queries=4, median=10.0, floor=2.0)
    run["bibtex_import"] |= {
        "import_seconds": 0.8,
        "parse_seconds": 0.5,
        "ratio": 1.6,
        "duplicate_search": "background",
        "search_seconds": 0.5,
        "candidates": 12,
    }
    checks = {(c.target, c.subject): c for c in evaluate({"runs": [run]})}
    imported = checks[("BibTeX import ≤ 2\u00d7 bibtexparser alone", "postgres lab")]
    assert (imported.status, imported.detail) == (
        "pass",
        "0.80 s vs 0.50 s = 1.60\u00d7; then the duplicate search in the background, "
        "0.50 s: 2.60\u00d7 with it",
    )
    table = "\n".join(report.other_table({"runs": [run]}))
    assert "then the duplicate search in the background: 0.50 s, 12 candidates" in table


def test_targets_pass_and_fail_with_their_numbers():
    results = {
        "runs": [
            _run("sqlite", "lab", queries=4, median=10.0, floor=2.0),
            _run("sqlite", "department", queries=5, median=40.0, floor=2.0, errors=3),
        ]
    }
    checks = {(c.target, c.subject): c for c in evaluate(results)}
    queries = checks[("same SQL queries at lab and department size", "sqlite notes search")]
    assert (queries.status, queries.detail) == (
        "fail",
        "lab 4, department 5; after a change: lab 7, department 8",
    )
    growth = checks[("median at department ≤ 1.3\u00d7 lab", "sqlite notes search")]
    assert (growth.status, growth.detail) == ("fail", "40.00 ms vs 10.00 ms = 4.00\u00d7")
    floor = checks[("fragment median ≤ 5\u00d7 floor at department size", "sqlite notes search")]
    assert (floor.status, floor.detail) == ("fail", "40.00 ms / floor 2.00 ms = 20.0\u00d7")
    search = checks[("notes search median < 30 ms at department size", "sqlite notes search")]
    assert search.status == "fail"
    errors = checks[("no errors at 32 clients", "sqlite department notes search")]
    assert errors.status == "fail" and errors.detail.startswith("3 errors in 1,000 requests")
    rss = checks[("gunicorn worker < 200 MB resident after the load", "sqlite lab")]
    assert (rss.status, rss.detail) == ("fail", "workers: 90 MB, 250 MB")
    imported = checks[("BibTeX import ≤ 2\u00d7 bibtexparser alone", "sqlite lab")]
    assert (imported.status, imported.detail) == (
        "fail",
        "3.00 s vs 1.00 s = 3.00\u00d7 (duplicate search included)",
    )
    assert checks[("weekly digest: fixed number of queries", "sqlite")].status == "pass"
    missing = checks[("page exists", "sqlite lab members page")]
    assert (missing.status, missing.detail) == ("not measured", "its URL does not resolve yet")
    assert checks[("seeding the three documents < 2 s", "sqlite lab")].status == "pass"


def test_report_markdown_shows_pages_missing_pages_and_targets():
    results = {
        "command": "python manage.py bench",
        "finished_at": "2026-01-01T00:00:00+00:00",
        "machine": {"cpu": "Test CPU", "cores": 2, "ram_gb": 4.0, "os": "Debian",
                    "load_average_at_start": [0.1, 0.2, 0.3]},
        "versions": {"Python": "3.11", "PostgreSQL": ""},
        "options": {"connections": [1, 32], "duration": 10,
                    "server": {"workers": 2, "worker_class": "sync", "threads": 1}},
        "runs": [_run("sqlite", "lab", queries=4, median=10.0, floor=2.0)],
    }  # fmt: skip
    text = report.markdown(results, evaluate(results))
    assert "**Machine:** Test CPU, 2 cores, 4.0 GB RAM, Debian" in text
    assert (
        "| sqlite | lab | notes search (htmx) | 4 | 100 | 30.0, 7 | 10.0 | 20.0 | 100 | 5.0 |"
        in text
    )
    assert "| sqlite | lab | members page | missing: its URL does not resolve yet |" in text
    assert "| ❌ fail | gunicorn worker < 200 MB resident after the load | sqlite lab |" in text


@pytest.mark.skipif(
    shutil.which("wrk") is None and not os.environ.get("CI"),
    reason="wrk is not installed (apt-get install wrk); required in CI",
)
def test_bench_quick_serves_with_gunicorn_and_drives_with_wrk(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    command = [
        sys.executable, "manage.py", "bench", "--quick", "--databases", "sqlite",
        "--connections", "1", "--duration", "1", "--pages", "notes search",
        "--bibtex-entries", "20", "--output", str(tmp_path),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads((tmp_path / "latest.json").read_text())
    (run,) = data["runs"]
    pages = {p["name"]: p for p in run["pages"]}
    assert set(pages) == {FLOOR, "notes search"}
    for page in pages.values():
        (load,) = page["load"]
        assert load["connections"] == 1 and load["requests"] > 0 and load["errors"] == 0
    assert run["gunicorn_worker_rss_mb"] and run["celery_worker"]["vmhwm_kb"] > 0
    assert run["bibtex_import"]["papers_created"] == 20
    assert "| sqlite | tiny | notes search (htmx) |" in (tmp_path / "latest.md").read_text()
