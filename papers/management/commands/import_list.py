from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from papers.importing import apply_import, content_digest
from papers.parsing.base import UnreadableFile
from papers.parsing.detect import parse_document


def import_files(command: BaseCommand, paths: list[Path]) -> int:
    """Import each file in its own transaction; returns the number of files that failed."""
    failed = 0
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            command.stderr.write(f"{path}: cannot be read ({exc.strerror}).")
            failed += 1
            continue
        try:
            document = parse_document(
                path.name, data, max_bytes=settings.READINGGROUP_MAX_IMPORT_BYTES
            )
        except UnreadableFile as exc:
            command.stderr.write(str(exc))
            failed += 1
            continue
        report = apply_import(document, content_sha256=content_digest(data))
        command.stdout.write(report.summary())
        for problem in report.problems:
            where = f" line {problem.line}" if problem.line else ""
            entry = f" ({problem.entry})" if problem.entry else ""
            command.stderr.write(f"  {path.name}{where}{entry}: {problem.message}")
    return failed


class Command(BaseCommand):
    help = "Import reading lists (BibTeX, Markdown with BibTeX, Markdown list, GitBook page)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: object, files: list[Path], **options: object) -> None:
        if import_files(self, files):
            raise CommandError("Some files could not be imported; see the messages above.")
