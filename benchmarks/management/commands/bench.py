from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks.loadgen import WrkMissing
from benchmarks.run import Options, run_all, run_child
from benchmarks.shapes import SHAPES


def _names(allowed: set[str]):
    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list of {', '.join(sorted(allowed))}"
            )
        return names

    return parse


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _numbers(text: str) -> list[int]:
    try:
        numbers = [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("expected numbers like 1,32") from None
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError("expected numbers like 1,32")
    return numbers


class Command(BaseCommand):
    help = (
        "Benchmark the app at lab and department size on SQLite and PostgreSQL: fresh "
        "databases, synthetic groups, gunicorn on loopback, wrk as a logged-in member. "
        "Writes benchmarks/latest.json and benchmarks/latest.md and prints the tables. "
        "Needs wrk (`apt-get install wrk`). Never touches the configured database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sizes",
            type=_names(set(SHAPES)),
            default=["lab", "department"],
            help="lab,department",
        )
        parser.add_argument(
            "--databases",
            type=_names({"sqlite", "postgres"}),
            default=["sqlite", "postgres"],
            help="sqlite,postgres",
        )
        parser.add_argument(
            "--duration", type=int, default=None, help="seconds per page and client count (10)"
        )
        parser.add_argument("--connections", type=_numbers, default=[1, 32], help="1,32")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
        parser.add_argument(
            "--worker-class", choices=["sync", "gthread"], default="sync", help="(sync)"
        )
        parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", default=None, help="YYYY-MM-DD the history is built around")
        parser.add_argument(
            "--pages", default=None, help="comma-separated page names to drive (default: all)"
        )
        parser.add_argument("--bibtex-entries", type=int, default=None, help="(10000)")
        parser.add_argument(
            "--postgres-url",
            default=None,
            help="a PostgreSQL server to use instead of a throwaway cluster; the user needs "
            "CREATEDB: the benchmark creates and drops its own databases next to the one named",
        )
        parser.add_argument(
            "--output", type=Path, default=None, help="results folder (benchmarks/)"
        )
        parser.add_argument(
            "--quick",
            action="store_true",
            help="smoke test: the tiny size, 2 s per run, 300 BibTeX entries, results in a "
            "temporary folder unless --output is given",
        )
        parser.add_argument(
            "--merge-with",
            type=Path,
            default=None,
            help="an earlier latest.json: keep its runs of the databases not run now",
        )
        parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
        parser.add_argument("--child", default=None, help=argparse.SUPPRESS)

    def handle(self, *args: object, **options: object) -> None:
        # SIGTERM unwinds like Ctrl-C, so servers and the PostgreSQL cluster are stopped.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        if options["child"]:
            run_child(json.loads(options["child"]), self.stdout.write)
            return
        quick = options["quick"]
        output = options["output"]
        if quick and output is None:
            import tempfile

            output = Path(tempfile.mkdtemp(prefix="readinggroup-bench-quick-"))
        run_options = Options(
            sizes=["tiny"] if quick else options["sizes"],
            databases=options["databases"],
            duration=options["duration"] or (2 if quick else 10),
            connections=options["connections"],
            workers=options["workers"],
            worker_class=options["worker_class"],
            threads=options["threads"],
            seed=options["seed"],
            today=options["today"],
            pages=[p.strip() for p in options["pages"].split(",")] if options["pages"] else None,
            bibtex_entries=options["bibtex_entries"] or (300 if quick else 10_000),
            postgres_url=options["postgres_url"],
            output=output,
            merge_with=options["merge_with"],
            keep=options["keep"],
        )
        try:
            results, _checks, (json_path, md_path) = run_all(
                run_options, sys.argv[2:], self.stdout.write
            )
        except WrkMissing as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write("\n" + md_path.read_text())
        self.stdout.write(self.style.SUCCESS(f"Results: {json_path} and {md_path}"))
        if not results["runs"]:
            raise CommandError("No run completed; see the messages above.")
