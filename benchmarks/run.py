"""The benchmark run: one child process per (database, size), and the run around them.

Settings are read from the environment once per process, so each database and
size gets its own ``manage.py bench --child`` process with DATABASE_URL, DEBUG=0
and the rest set as a production deployment would (HTTPS redirects off: the
server is on loopback). The child migrates the fresh database, generates the
group, measures each page in-process, serves it with gunicorn, drives it with
wrk, and then times the digest (in a real Celery worker too) and the import.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings

from . import loadgen, report
from .machine import machine_info
from .servers import CeleryWorker, Gunicorn, Postgres, Unavailable, get
from .targets import evaluate

Log = Callable[[str], None]

# Variables of the caller's environment that must not leak into the benchmark's servers.
ENV_DROPPED = {
    "DATABASE_URL",
    "DEBUG",
    "REDIS_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_SETTINGS_MODULE",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "BEHIND_HTTPS_PROXY",
    "ALLOWED_HOSTS",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "READINGGROUP_VAR_DIR",
    "EMAIL_HOST",
}


@dataclass
class Options:
    sizes: list[str] = field(default_factory=lambda: ["lab", "department"])
    databases: list[str] = field(default_factory=lambda: ["sqlite", "postgres"])
    duration: int = 10
    connections: list[int] = field(default_factory=lambda: [1, 32])
    workers: int = 2
    worker_class: str = "sync"
    threads: int = 1
    seed: int = 1
    today: str | None = None
    pages: list[str] | None = None  # names to drive (the floor always is); None: all
    bibtex_entries: int = 10_000
    postgres_url: str | None = None
    merge_with: Path | None = None  # earlier results whose other databases' runs are kept
    output: Path | None = None
    keep: bool = False

    @property
    def server(self) -> dict:
        return {"workers": self.workers, "worker_class": self.worker_class, "threads": self.threads}


def child_env(folder: Path, database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROPPED}
    env.update(
        DJANGO_SETTINGS_MODULE="readinggroup.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        READINGGROUP_VAR_DIR=str(var_dir),
        STATIC_ROOT=str(folder / "static"),
        MEDIA_ROOT=str(var_dir / "media"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        BENCH_BASE_DIR=str(settings.BASE_DIR),
    )
    return env


# --- the parent --------------------------------------------------------------------------


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def run_all(options: Options, argv: list[str], log: Log) -> tuple[dict, list, tuple[Path, Path]]:
    loadgen.wrk_path()  # fail early, with the install hint
    started = dt.datetime.now(dt.UTC)
    commit_at_start = git_commit()
    machine = machine_info()
    folder = Path(tempfile.mkdtemp(prefix="readinggroup-bench-"))
    manage = str(settings.BASE_DIR / "manage.py")
    runs, skipped = [], []
    postgres = None
    try:
        log(f"Working in {folder}; collecting static files …")
        env = child_env(folder, f"sqlite:///{folder / 'collectstatic.sqlite3'}", folder / "var")
        subprocess.run(
            [sys.executable, manage, "collectstatic", "--noinput", "-v0"],
            env=env,
            cwd=settings.BASE_DIR,
            check=True,
        )
        if "postgres" in options.databases:
            try:
                postgres = Postgres(options.postgres_url)
                log(f"PostgreSQL {postgres.version} ready.")
            except Unavailable as exc:
                message = f"PostgreSQL skipped: {exc}"
                log(message)
                skipped.append(message)
        for database in options.databases:
            if database == "postgres" and postgres is None:
                continue
            for index, size in enumerate(options.sizes):
                if database == "sqlite":
                    url = f"sqlite:///{folder / f'{size}.sqlite3'}"
                else:
                    url = postgres.create_database(size)
                var_dir = folder / f"var-{database}-{size}"
                var_dir.mkdir(parents=True)
                part = folder / f"{database}-{size}.json"
                spec = {
                    **asdict(options),
                    "output": None,
                    "merge_with": None,
                    "database": database,
                    "size": size,
                    "extras": index == 0,
                    "folder": str(var_dir),
                    "part": str(part),
                }
                log(f"\n=== {database}, {size} ===")
                started_run = time.perf_counter()
                returncode = _run_child_process(
                    [sys.executable, manage, "bench", "--child", json.dumps(spec)],
                    env=child_env(folder, url, var_dir),
                )
                if returncode != 0 or not part.exists():
                    message = f"{database} {size}: the run failed (exit {returncode})"
                    log(message)
                    skipped.append(message)
                    continue
                run = json.loads(part.read_text())
                run["wall_seconds"] = round(time.perf_counter() - started_run, 1)
                runs.append(run)
                if database == "postgres" and not options.keep:
                    postgres.drop_databases()
    finally:
        if postgres is not None:
            postgres.stop()
        if options.keep:
            log(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    import celery
    import gunicorn

    commit_at_end = git_commit()
    if commit_at_start != commit_at_end:
        # Each child imports the code as it is when it starts: runs may differ.
        message = (
            f"The code changed during the run ({commit_at_start} → {commit_at_end}); "
            "runs may have measured different code."
        )
        log(message)
        skipped.append(message)
    results = {
        "command": "python manage.py bench " + " ".join(argv),
        "git_commit": commit_at_start
        + ("" if commit_at_start == commit_at_end else f" → {commit_at_end}"),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "versions": {
            "Python": machine["python"],
            "Django": machine["django"],
            "SQLite": sqlite3.sqlite_version,
            "PostgreSQL": postgres.version if postgres else "",
            "gunicorn": gunicorn.__version__,
            "Celery": celery.__version__,
            "wrk": loadgen.wrk_version(),
        },
        "options": {
            "sizes": options.sizes,
            "databases": options.databases,
            "duration": options.duration,
            "connections": options.connections,
            "server": options.server,
            "seed": options.seed,
            "bibtex_entries": options.bibtex_entries,
        },
        "skipped": skipped,
        "runs": runs,
    }
    if options.merge_with:
        earlier = json.loads(Path(options.merge_with).read_text())
        kept = [r for r in earlier["runs"] if r["database"] not in options.databases]
        results["runs"] = kept + runs
        results["command"] += f" (other databases from: {earlier['command']})"
        results["options"]["databases"] = sorted({r["database"] for r in results["runs"]})
    checks = evaluate(results)
    paths = report.write(results, checks, options.output or settings.BASE_DIR / "benchmarks")
    return results, checks, paths


def _run_child_process(command: list[str], env: dict[str, str]) -> int:
    """Run a child; if we are stopped meanwhile, stop it first so it stops its servers."""
    child = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)
    try:
        return child.wait()
    except BaseException:
        child.terminate()
        try:
            child.wait(60)
        except subprocess.TimeoutExpired:
            child.kill()
        raise


# --- one database and size, in the child process ---------------------------------------------


def run_child(spec: dict, log: Log) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from readinggroup.models import User

    from .generate import blocking_data, generate_group
    from .measure import logged_in_client, probe_page, session_cookie, time_bibtex_import
    from .measure import time_digest as measure_digest
    from .pages import FLOOR, bench_member, bench_pages
    from .shapes import SHAPES

    folder = Path(spec["folder"])
    call_command("migrate", interactive=False, verbosity=0)
    if found := blocking_data():  # the parent made this database: it must be empty
        raise RuntimeError("benchmark database is not empty: " + "; ".join(found))
    today = dt.date.fromisoformat(spec["today"]) if spec.get("today") else None
    log(f"Generating {spec['size']} …")
    generation = generate_group(SHAPES[spec["size"]], seed=spec["seed"], today=today, log=log)
    log(generation.summary())

    user = bench_member()
    token = secrets.token_urlsafe(24)
    User.objects.filter(pk=user.pk).update(calendar_token=token)
    client = logged_in_client(user)
    headers = {"Cookie": session_cookie(client)}
    pages = []
    for page in bench_pages(user, token):
        entry = page.as_dict()
        wanted = spec.get("pages")
        if wanted and page.name != FLOOR and page.name not in wanted:
            continue
        if not page.missing:
            entry.update(probe_page(client, page))
            entry["missing"] = entry["problem"]
        pages.append(entry)
        status = entry["missing"] or f"{entry['queries']} queries, {entry['bytes']:,} bytes"
        log(f"  {page.name:<20} {page.path[:60]:<60} {status}")

    live = [p for p in pages if not p["missing"]]
    server = Gunicorn(
        dict(os.environ),
        folder / "gunicorn.log",
        workers=spec["workers"],
        worker_class=spec["worker_class"],
        threads=spec["threads"],
    )
    try:
        script = loadgen.write_script(folder)
        for page in live:  # through the server, on every worker, before timing anything
            page_headers = {**headers, **({"HX-Request": "true"} if page["htmx"] else {})}
            for _ in range(2 * spec["workers"]):
                status, _, location = get(server.url + page["path"], page_headers)
            if status != 200:
                page["missing"] = f"through gunicorn: answers {status} {location}".strip()
        for clients in spec["connections"]:
            for page in (p for p in live if not p["missing"]):
                page_headers = {**headers, **({"HX-Request": "true"} if page["htmx"] else {})}
                result = loadgen.run_wrk(
                    server.url + page["path"],
                    script=script,
                    headers=page_headers,
                    connections=clients,
                    seconds=spec["duration"],
                )
                page.setdefault("load", []).append(result)
                server.wait_idle()
                log(
                    f"  {clients:>3} clients  {page['name']:<20} median {result['median_ms']:8.2f}"
                    f" ms  p95 {result['p95_ms']:8.2f} ms  {result['rps']:7.1f} req/s"
                    f"  errors {result['errors']}"
                )
        rss = [kb / 1024 for kb in server.worker_rss_kb()]
    finally:
        server.stop()

    digest = measure_digest(timezone.now())
    log(f"  digest: {digest}")
    worker = worker_digest(folder) if "missing" not in digest else dict(digest)
    log(f"  Celery worker: {worker}")
    bibtex = None
    if spec["extras"]:
        bibtex = time_bibtex_import(spec["bibtex_entries"])
        log(f"  BibTeX import: {bibtex}")

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        db_version = cursor.fetchone()[0]
    result = {
        "database": spec["database"],
        "size": spec["size"],
        "database_version": db_version,
        "generation": generation.as_dict(),
        "counts": generation.counts,
        "pages": pages,
        "gunicorn_worker_rss_mb": [round(mb, 1) for mb in rss],
        "digest": digest,
        "celery_worker": worker,
        "bibtex_import": bibtex,
    }
    Path(spec["part"]).write_text(json.dumps(result, indent=2))


def worker_digest(folder: Path, timeout: float = 600) -> dict:
    """The digest built by a real Celery worker; its peak memory (VmHWM)."""
    from readinggroup.celery import app

    settings.CELERY_BROKER_DIR.mkdir(parents=True, exist_ok=True)
    out = folder / "worker-digest.json"
    worker = CeleryWorker(dict(os.environ), folder / "celery.log")
    try:
        app.send_task("benchmark.build_weekly_digests", kwargs={"out": str(out)})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if out.exists():
                try:
                    return json.loads(out.read_text())
                except ValueError:
                    pass  # still being written
            if worker.process.poll() is not None:
                return {"missing": f"the worker exited ({worker.process.returncode})"}
            time.sleep(0.2)
        return {"missing": f"no result within {timeout:.0f} s"}
    finally:
        worker.stop()
