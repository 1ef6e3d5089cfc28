"""Data generations: every committed write moves its area on, and cached renderings follow.

These tests commit for real (``transactional_db``): counters move only after a commit.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from papers.models import Paper
from readinggroup.generations import (
    TABLE_AREAS,
    UNTRACKED,
    Generations,
    written_areas,
)
from readinggroup.models import DataArea, DataGeneration, Session, User

from .factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def counters() -> dict[str, int]:
    return dict(DataGeneration.objects.values_list("area", "counter"))


class Computer:
    """A compute function that counts its calls and returns what it is told."""

    def __init__(self, value: object = "v1", valid_until: dt.datetime | None = None) -> None:
        self.value, self.valid_until, self.calls = value, valid_until, 0

    def __call__(self) -> tuple[object, dt.datetime | None]:
        self.calls += 1
        return self.value, self.valid_until


def read_catalogue(compute: Computer, key: tuple = ()) -> object:
    return Generations.read().cached("test", areas=[DataArea.CATALOGUE], key=key, compute=compute)


def test_every_table_of_our_apps_has_an_area_or_is_untracked():
    tables = {
        model._meta.db_table
        for app in ("readinggroup", "papers")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    }
    assert tables - TABLE_AREAS.keys() - UNTRACKED == set()
    assert (TABLE_AREAS.keys() | UNTRACKED) - tables == set()  # no stale names


def test_every_area_has_its_counter_after_migrating():
    assert set(counters()) == set(DataArea.values)


@pytest.mark.parametrize(
    ("sql", "areas"),
    [
        ('INSERT INTO "papers_paper" ("title") VALUES (%s)', {DataArea.CATALOGUE}),
        ('UPDATE "readinggroup_slot" SET "presenter_id" = %s', {DataArea.SCHEDULE}),
        ('DELETE FROM "readinggroup_note" WHERE id = 1', {DataArea.NOTES}),
        ("  insert or ignore into readinggroup_user (username) values ('x')", {DataArea.MEMBERS}),
        (
            'TRUNCATE "readinggroup_note", "papers_listing", "django_session" CASCADE',
            {DataArea.NOTES, DataArea.CATALOGUE},
        ),
        ('SELECT * FROM "papers_paper"', set()),
        ('UPDATE "readinggroup_outboxmessage" SET attempts = 1', set()),
        ('UPDATE "django_session" SET session_data = %s', set()),
    ],
)
def test_written_areas_reads_the_table_a_statement_writes(sql, areas):
    assert written_areas(sql) == areas


def test_counter_moves_after_commit_not_before():
    before = counters()
    with transaction.atomic():
        UserFactory()
        assert counters() == before  # nobody may see a new counter before the data
    after = counters()
    assert after[DataArea.MEMBERS] == before[DataArea.MEMBERS] + 1
    assert {a: after[a] for a in after if a != DataArea.MEMBERS} == {
        a: before[a] for a in before if a != DataArea.MEMBERS
    }


def test_rolled_back_write_moves_nothing():
    before = counters()
    with pytest.raises(RuntimeError), transaction.atomic():
        PaperFactory()
        raise RuntimeError
    assert counters() == before


def test_rolled_back_savepoint_keeps_the_outer_write_counted():
    paper = PaperFactory()
    before = counters()
    with transaction.atomic():
        Paper.objects.filter(pk=paper.pk).update(venue="SOSP")
        try:
            with transaction.atomic():
                User.objects.create(username="ghost")
                raise RuntimeError
        except RuntimeError:
            pass
    after = counters()
    assert after[DataArea.CATALOGUE] == before[DataArea.CATALOGUE] + 1


def test_bulk_update_and_raw_writes_are_counted():
    PaperFactory.create_batch(3)
    before = counters()[DataArea.CATALOGUE]
    Paper.objects.update(venue="NSDI")  # no signals: only the SQL says it happened
    with connection.cursor() as cursor:
        cursor.executemany(
            'UPDATE "papers_paper" SET "year" = %s WHERE "id" = %s',
            [(2020, p.pk) for p in Paper.objects.all()],
        )
    Paper.objects.all().delete()
    assert counters()[DataArea.CATALOGUE] == before + 3


def test_cached_value_is_reused_until_its_area_changes():
    compute = Computer("first")
    assert read_catalogue(compute) == "first"
    compute.value = "second"
    assert read_catalogue(compute) == "first"
    assert compute.calls == 1

    Session.objects.create(starts_at=timezone.now())  # another area: still cached
    assert read_catalogue(compute) == "first"

    PaperFactory()
    assert read_catalogue(compute) == "second"
    assert compute.calls == 2


def test_cached_values_are_kept_apart_by_key():
    assert read_catalogue(Computer("a"), key=("page", 1)) == "a"
    assert read_catalogue(Computer("b"), key=("page", 2)) == "b"
    assert read_catalogue(Computer("z"), key=("page", 1)) == "a"


def test_cached_value_expires_when_the_clock_passes_its_validity():
    soon = timezone.now() + dt.timedelta(hours=1)
    assert read_catalogue(Computer("morning", valid_until=soon)) == "morning"
    assert read_catalogue(Computer("unused")) == "morning"
    with time_machine.travel(soon + dt.timedelta(seconds=1), tick=False):
        assert read_catalogue(Computer("afternoon")) == "afternoon"


def test_transaction_that_wrote_an_area_does_not_read_or_fill_the_cache():
    assert read_catalogue(Computer("committed")) == "committed"
    with transaction.atomic():
        PaperFactory()
        # This transaction sees its own paper; the cache holds what everyone sees.
        assert read_catalogue(Computer("with my paper")) == "with my paper"
        transaction.set_rollback(True)
    assert read_catalogue(Computer("unused")) == "committed"


def test_caching_is_off_with_zero_seconds(settings):
    settings.READINGGROUP_CACHE_SECONDS = 0
    compute = Computer()
    read_catalogue(compute)
    read_catalogue(compute)
    assert compute.calls == 2


def test_missing_counter_row_means_no_caching():
    DataGeneration.objects.filter(area=DataArea.CATALOGUE).delete()
    compute = Computer()
    read_catalogue(compute)
    read_catalogue(compute)
    assert compute.calls == 2
