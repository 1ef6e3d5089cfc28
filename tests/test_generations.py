"""Data generations: every committed write moves its area on, and cached renderings follow.

These tests commit for real (``transactional_db``): counters move only after a commit.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.apps import apps
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from papers.models import Paper
from readinggroup.generations import (
    TABLE_AREAS,
    UNTRACKED,
    Generations,
    after_migrate,
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
        ('/* by hand */ UPDATE "papers_paper" SET venue = %s', {DataArea.CATALOGUE}),
        ('UPDATE ONLY "public"."readinggroup_note" SET hidden = true', {DataArea.NOTES}),
        ("WITH gone AS (DELETE FROM papers_listing RETURNING id) SELECT 1", set(DataArea)),
        (
            "MERGE INTO papers_paper p USING x ON p.id = x.id WHEN MATCHED THEN DELETE",
            set(DataArea),
        ),
        ("COPY readinggroup_note (body) FROM STDIN", set(DataArea)),
        ('SELECT * FROM "papers_paper"', set()),
        ('WITH recent AS (SELECT "updated_at" FROM "papers_paper") SELECT 1', set()),
        ('UPDATE "readinggroup_outboxmessage" SET attempts = 1', set()),
        ('UPDATE "django_session" SET session_data = %s', set()),
        # Columns no page shows (UNSHOWN_COLUMNS), set alone: no change to cache.
        ('UPDATE "readinggroup_user" SET "last_login" = %s WHERE "id" = %s', set()),
        (
            'UPDATE "readinggroup_user" SET "last_digest_at" = %s, "last_login" = %s WHERE id = 1',
            set(),
        ),
        # With a shown column, or any other form of SET: a change.
        (
            'UPDATE "readinggroup_user" SET "last_login" = %s, "display_name" = %s WHERE id = 1',
            {DataArea.MEMBERS},
        ),
        ('UPDATE "readinggroup_user" SET "last_login" = NOW() WHERE id = 1', {DataArea.MEMBERS}),
        ('UPDATE "readinggroup_user" SET "last_login" = %s', {DataArea.MEMBERS}),
    ],
)
def test_written_areas_reads_the_table_a_statement_writes(sql, areas):
    assert written_areas(sql) == areas


def test_logging_in_and_digest_bookkeeping_keep_every_cached_page(client):
    user = UserFactory(username="lena")
    user.set_password("pw")
    user.save()
    before = counters()
    # writes last_login (django-axes needs a request to check its lockouts)
    assert client.login(request=HttpRequest(), username="lena", password="pw")
    User.objects.filter(pk=user.pk).update(last_digest_at=timezone.now())
    assert counters() == before
    User.objects.filter(pk=user.pk).update(display_name="Lena K.")
    assert counters()[DataArea.MEMBERS] == before[DataArea.MEMBERS] + 1


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
    # (The rolled-back savepoint's area may move on too: one needless recompute, never a
    # stale page, so nothing is asserted of it.)
    assert counters()[DataArea.CATALOGUE] == before[DataArea.CATALOGUE] + 1


def test_counter_moves_even_when_an_earlier_commit_callback_fails():
    def fail() -> None:
        raise RuntimeError("storage is down")

    before = counters()
    with pytest.raises(RuntimeError), transaction.atomic():
        transaction.on_commit(fail)  # registered before the write, fails after the commit
        PaperFactory()
    assert Paper.objects.count() == 1  # committed
    assert counters()[DataArea.CATALOGUE] == before[DataArea.CATALOGUE] + 1


def test_counters_recreated_after_a_flush_do_not_start_where_the_old_ones_did():
    before = counters()
    DataGeneration.objects.all().delete()
    after_migrate()
    after = counters()
    assert set(after) == set(DataArea.values)
    assert all(after[area] != before[area] for area in after)


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


def test_cached_pages_read_the_counters_before_any_data(client):
    """What a page caches under the counters must be at least as new as they are, so no
    page may read what it shows before it reads them (the member's own row aside)."""
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from readinggroup.ical import tokens
    from tests.factories import ListingFactory

    member = UserFactory()
    paper = ListingFactory().paper
    Session.objects.create(starts_at=timezone.now() + dt.timedelta(days=2))  # a list to show
    client.force_login(member)
    urls = [
        reverse("home"),
        reverse("papers:paper_list"),
        paper.get_absolute_url(),
        reverse("session_list"),
        reverse("members:member_list"),
        reverse("notes:note_list"),
        reverse("ical:feed", args=[tokens.create_token(user=member)]),
    ]
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        tables = [
            next(iter(re.findall(r'FROM "(\w+)"', q["sql"])), "") for q in queries.captured_queries
        ]
        read_first = tables.index("readinggroup_datageneration")
        earlier = set(tables[:read_first]) - {"django_session", "readinggroup_user"}
        assert earlier == set(), url
