from __future__ import annotations

import bibtexparser
import pytest

from papers.exporting import export_bibtex
from papers.importing import apply_import
from papers.models import Paper, ReadingList
from papers.parsing.detect import parse_document

pytestmark = pytest.mark.django_db

FIELDS = ("title_key", "title", "short_name", "authors", "venue", "year", "pages", "url", "doi")


def _snapshot() -> set[tuple]:
    return set(Paper.objects.values_list(*FIELDS))


def test_export_then_reimport_gives_the_same_papers(seeded) -> None:
    before = _snapshot()
    assert len(before) > 300
    exported = export_bibtex(Paper.objects.all())
    Paper.objects.all().delete()
    ReadingList.objects.all().delete()

    document = parse_document("catalogue.bib", exported.encode())
    assert document.problems == []
    apply_import(document, content_sha256="x")
    assert _snapshot() == before


def test_export_is_valid_bibtex_with_one_entry_per_paper(seeded) -> None:
    library = bibtexparser.parse_string(export_bibtex(Paper.objects.all()))
    assert library.failed_blocks == []
    assert len(library.entries) == Paper.objects.count()
    assert len({e.key for e in library.entries}) == Paper.objects.count()


def test_export_of_markdown_paper_has_venue_year_and_short_name(seeded) -> None:
    gavel = Paper.objects.get(short_name="Gavel")
    entry = bibtexparser.parse_string(export_bibtex([gavel])).entries[0]
    assert entry.entry_type == "inproceedings"
    assert (
        entry["title"]
        == "Heterogeneity-Aware Cluster Scheduling Policies for Deep Learning Workloads"
    )
    assert entry["booktitle"] == "OSDI"
    assert entry["year"] == "2020"
    assert entry["shorthand"] == "Gavel"


def test_export_of_bibtex_paper_keeps_its_original_fields(seeded) -> None:
    tensorir = Paper.objects.get(citation_key="feng2023tensorir")
    entry = bibtexparser.parse_string(export_bibtex([tensorir])).entries[0]
    assert entry.key == "feng2023tensorir"
    assert entry["pages"] == "804--817"
    assert entry["author"].startswith("Feng, Siyuan and Hou, Bohan")
