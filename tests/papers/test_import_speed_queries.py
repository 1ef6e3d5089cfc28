"""An import runs a fixed number of queries however many entries the file holds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers import importing, models
from papers.importing import apply_import, plan_import
from papers.models import DuplicateCandidate, Listing, Paper
from papers.parsing.bibtex import parse_bibtex_document
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def _title(count: int, i: int) -> str:
    # Pairs of reworded titles with one name, so each import also records candidates.
    pair = f"z{count}n{i // 2}"
    if i % 2:
        return f"Zorblat{pair}: Serving {pair}c {pair}d Concurrent Adapters"
    return f"Zorblat{pair}: Scalable Serving of {pair}a {pair}b LoRA Adapters"


def _bibtex(count: int) -> str:
    return "\n".join(
        f"@inproceedings{{key{count}n{i},\n  title = {{{_title(count, i)}}},\n"
        f"  author = {{M{{\\\"u}}ller, J{{\\'e}}r{{\\^o}}me and Kim, Ada}},\n"
        f"  booktitle = {{OSDI}},\n  year = {{2023}},\n}}\n"
        for i in range(count)
    )


def _queries(count: int) -> tuple[int, int]:
    PaperFactory(title=_title(count, 0))  # one entry is already in the catalogue
    document = parse_bibtex_document(_bibtex(count), f"list-{count}.bib")
    with CaptureQueriesContext(connection) as planned:
        plan_import(document)
    with CaptureQueriesContext(connection) as applied:
        report = apply_import(document, content_sha256=f"sha-{count}")
    assert (report.papers_created, report.papers_matched) == (count - 1, 1)
    assert report.candidates_created == count // 2
    return len(planned), len(applied)


def test_import_queries_do_not_grow_with_entries() -> None:
    small = _queries(4)
    large = _queries(40)
    assert small == large
    assert Listing.objects.count() == 4 + 40
    assert DuplicateCandidate.objects.count() == 2 + 20
    assert Paper.objects.get(title=_title(40, 3)).authors == "Jérôme Müller, Ada Kim"


def test_import_in_batches_links_each_entry_to_its_own_paper(monkeypatch) -> None:
    # 10 entries, one already known: four lookups and four INSERT batches of papers.
    monkeypatch.setattr(models, "LOOKUP_CHUNK", 3)
    monkeypatch.setattr(importing, "BATCH_SIZE", 3)
    PaperFactory(title=_title(10, 0))
    document = parse_bibtex_document(_bibtex(10), "list.bib")
    report = apply_import(document, content_sha256="sha")
    assert (report.papers_created, report.papers_matched) == (9, 1)
    # Each entry's listing points at the paper of its own title.
    listed = {
        raw.split(",")[0]: title
        for title, raw in Listing.objects.values_list("paper__title", "raw_text")
    }
    assert listed == {f"@inproceedings{{key10n{i}": _title(10, i) for i in range(10)}
    pairs = {
        tuple(sorted((c.paper_a.title, c.paper_b.title)))
        for c in DuplicateCandidate.objects.select_related("paper_a", "paper_b")
    }
    assert pairs == {tuple(sorted((_title(10, i), _title(10, i + 1)))) for i in range(0, 10, 2)}
