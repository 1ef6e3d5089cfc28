"""Bulk inserts (executemany on SQLite, COPY on PostgreSQL) behave like the ORM's writes."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from papers.bulk import insert_rows
from papers.models import Paper
from readinggroup.models import DataArea, DataGeneration


def _row(n: int, **changes: object) -> dict[str, object]:
    row = {
        "title": f'Paper {n}: a "quoted" title\twith\\backslash',
        "title_key": f"paper{n}",
        "short_name": "",
        "authors": "Ada Lovelace, Alan Turing",
        "venue": "OSDI",
        "year": None,
        "pages": "",
        "url": "",
        "doi": "",
        "citation_key": f"key{n}",
        "entry_type": "inproceedings",
        "bibtex_fields": {"title": f"Paper {n}", "note": "multi\nline {braced}"},
        "search_text": f"paper {n}",
    }
    row.update(changes)
    return row


@pytest.mark.django_db
def test_insert_rows_stores_values_the_orm_reads_back_unchanged() -> None:
    assert insert_rows(Paper, [_row(1), _row(2, year=2023)]) == 2
    first, second = Paper.objects.order_by("title_key")
    assert first.title == 'Paper 1: a "quoted" title\twith\\backslash'
    assert first.bibtex_fields == {"title": "Paper 1", "note": "multi\nline {braced}"}
    assert (first.year, second.year) == (None, 2023)
    assert first.want_count == 0  # the database default
    assert first.created_at == first.updated_at == second.created_at  # one time per batch


@pytest.mark.django_db
def test_insert_rows_is_one_query_however_many_rows(django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        insert_rows(Paper, [_row(n) for n in range(50)])
    assert Paper.objects.count() == 50


@pytest.mark.django_db
def test_insert_rows_with_a_taken_title_key_raises_integrity_error_and_writes_nothing() -> None:
    insert_rows(Paper, [_row(1)])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Paper, [_row(2), _row(3, title_key="paper1")])
    assert list(Paper.objects.values_list("title_key", flat=True)) == ["paper1"]


@pytest.mark.django_db(transaction=True)
def test_insert_rows_moves_the_catalogue_counter_on_commit() -> None:
    def catalogue() -> int:
        return DataGeneration.objects.get(area=DataArea.CATALOGUE).counter

    before = catalogue()
    with transaction.atomic():
        insert_rows(Paper, [_row(1)])
        assert catalogue() == before  # not before the commit
    assert catalogue() == before + 1
