from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from benchmarks.generate import blocking_data, generate_group, replace_everything
from benchmarks.shapes import SHAPES


class Command(BaseCommand):
    help = (
        "Fill the database with a synthetic reading group (members, sessions, slots, notes, "
        "want-to-read marks; the seeded catalogue plus synthetic papers) for demos and "
        "benchmarks. Deterministic: the same --seed and --today give the same group. "
        "Refuses a database that already holds sessions, notes, marks, other reading lists "
        "or an earlier generated group unless --replace is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=sorted(SHAPES), default="lab")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="Date the history is built around (YYYY-MM-DD); default: today.",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="DELETE EVERY ROW of the database first (all users included), then generate.",
        )

    def handle(self, *args: object, **options: object) -> None:
        shape = SHAPES[options["size"]]
        name = connection.settings_dict["NAME"]
        if options["replace"]:
            self.stdout.write(f"--replace: deleting every row in {name} …")
            replace_everything()
        elif found := blocking_data():
            raise CommandError(
                f"The database {name} already holds " + "; ".join(found) + ". generate_group "
                "only fills an empty database (or one with just the seeded catalogue). Use "
                "--replace to delete everything in it first, only if that is what you mean."
            )
        self.stdout.write(f"Generating the {shape.name} group into {name} (seed {options['seed']})")
        report = generate_group(
            shape, seed=options["seed"], today=options["today"], log=self.stdout.write
        )
        self.stdout.write(self.style.SUCCESS(f"Generated {report.summary()}"))
