from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from papers.models import Paper

from .import_list import import_files

SEED_FILES = ("literature-review.md", "research-space.md", "reading-list.md")


class Command(BaseCommand):
    help = "Import the group's three reading lists from fixtures/. Safe to run again."

    def handle(self, *args: object, **options: object) -> None:
        started = time.perf_counter()
        paths = [settings.BASE_DIR / "fixtures" / name for name in SEED_FILES]
        if import_files(self, paths):
            raise CommandError("Seeding failed; see the messages above.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {len(paths)} reading lists: {Paper.objects.count()} papers in the "
                f"catalogue, in {time.perf_counter() - started:.2f} s."
            )
        )
