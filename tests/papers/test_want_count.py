"""Paper.want_count: a stored count that always equals the paper's want-to-read marks."""

from __future__ import annotations

import random

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from benchmarks.generate import generate_group
from benchmarks.shapes import SHAPES
from papers.merging import merge_papers
from papers.models import Paper
from papers.wants import set_want
from readinggroup.models import User, WantToRead
from tests.factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


def _stored() -> dict[int, int]:
    return dict(Paper.objects.values_list("pk", "want_count"))


def _counted() -> dict[int, int]:
    marks = dict(
        WantToRead.objects.order_by()
        .values("paper")
        .annotate(n=Count("pk"))
        .values_list("paper", "n")
    )
    return {pk: marks.get(pk, 0) for pk in Paper.objects.values_list("pk", flat=True)}


def _count(paper: Paper) -> int:
    return Paper.objects.get(pk=paper.pk).want_count


def test_want_count_moves_only_when_a_mark_is_made_or_removed(member) -> None:
    paper = PaperFactory()
    set_want(user=member, paper=paper, wanted=True)
    set_want(user=member, paper=paper, wanted=True)  # a double click
    assert _count(paper) == 1
    set_want(user=member, paper=paper, wanted=False)
    set_want(user=member, paper=paper, wanted=False)
    assert _count(paper) == 0
    assert WantToRead.objects.count() == 0


def test_want_count_follows_marks_made_without_set_want(member, other_member) -> None:
    paper = PaperFactory()
    WantToRead.objects.create(user=member, paper=paper)  # as the admin or a fixture would
    WantToRead.objects.create(user=other_member, paper=paper)
    assert _count(paper) == 2
    WantToRead.objects.filter(user=member).delete()
    assert _count(paper) == 1


def test_deleting_a_member_takes_their_marks_off_the_counts(member, other_member) -> None:
    papers = [PaperFactory() for _ in range(3)]
    for paper in papers:
        set_want(user=member, paper=paper, wanted=True)
    set_want(user=other_member, paper=papers[0], wanted=True)
    member.delete()
    assert [_count(p) for p in papers] == [1, 0, 0]


def test_deleting_a_paper_does_not_recount_it_per_mark() -> None:
    def delete_with_marks(marks: int) -> int:
        paper = PaperFactory()
        for _ in range(marks):
            set_want(user=UserFactory(), paper=paper, wanted=True)
        with CaptureQueriesContext(connection) as queries:
            paper.delete()
        assert not Paper.objects.filter(pk=paper.pk).exists()
        return len(queries)

    assert delete_with_marks(1) == delete_with_marks(6)


def test_merge_counts_each_member_once(member, other_member, organizer) -> None:
    keep, drop = PaperFactory(), PaperFactory()
    set_want(user=member, paper=keep, wanted=True)
    set_want(user=member, paper=drop, wanted=True)  # the same wish twice
    set_want(user=other_member, paper=drop, wanted=True)
    merged = merge_papers(keep=keep, drop=drop)
    assert merged.want_count == 2
    assert _count(keep) == 2 == keep.wants.count()


def test_saving_a_stale_paper_keeps_the_stored_count(member) -> None:
    paper = PaperFactory(title="Old title")
    stale = Paper.objects.get(pk=paper.pk)
    set_want(user=member, paper=paper, wanted=True)
    stale.title = "New title"
    stale.save()
    assert Paper.objects.values_list("title", "want_count").get(pk=paper.pk) == ("New title", 1)


def test_saving_a_paper_loaded_with_only_some_fields_writes_just_those(
    member, django_assert_num_queries
) -> None:
    paper = PaperFactory(title="Old title", venue="OSDI")
    partial = Paper.objects.only("title").get(pk=paper.pk)
    set_want(user=member, paper=paper, wanted=True)
    partial.title = "New title"
    with django_assert_num_queries(1):  # the UPDATE: no field loaded just to be saved
        partial.save()
    saved = Paper.objects.values_list("title", "venue", "want_count").get(pk=paper.pk)
    assert saved == ("New title", "OSDI", 1)


def test_recount_wants_repairs_marks_made_in_bulk(member, other_member) -> None:
    papers = [PaperFactory() for _ in range(3)]
    WantToRead.objects.bulk_create(  # sends no signals
        [WantToRead(user=u, paper=papers[0]) for u in (member, other_member)]
        + [WantToRead(user=member, paper=papers[1])]
    )
    assert [_count(p) for p in papers] == [0, 0, 0]
    assert Paper.objects.recount_wants(paper_ids=[papers[1].pk]) == 1
    assert [_count(p) for p in papers] == [0, 1, 0]
    assert Paper.objects.recount_wants() == 3
    assert [_count(p) for p in papers] == [2, 1, 0]


def test_want_count_cannot_go_below_zero() -> None:
    paper = PaperFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Paper.objects.filter(pk=paper.pk).update(want_count=-1)


@pytest.mark.parametrize("seed", range(5))
def test_want_count_equals_marks_after_random_changes(seed: int) -> None:
    rng = random.Random(seed)
    people = [UserFactory(username=f"reader{seed}-{i}") for i in range(6)]
    papers = [PaperFactory() for _ in range(8)]
    for _ in range(60):
        step = rng.choice(["want", "want", "want", "unwant", "unwant", "merge", "delete"])
        if step in ("want", "unwant") and people and papers:
            set_want(user=rng.choice(people), paper=rng.choice(papers), wanted=step == "want")
        elif step == "merge" and len(papers) > 2:
            keep, drop = rng.sample(papers, 2)
            merge_papers(keep=keep, drop=drop)  # no slots here: never a conflict
            papers.remove(drop)
        elif step == "delete" and len(people) > 1:
            gone = people.pop(rng.randrange(len(people)))
            if rng.random() < 0.5:
                gone.delete()
            else:
                User.objects.filter(pk=gone.pk).delete()
        assert _stored() == _counted(), f"after {step}"
    assert sum(_stored().values()) == WantToRead.objects.count()


def test_generated_group_has_counts_matching_its_bulk_created_marks() -> None:
    generate_group(SHAPES["tiny"], seed=3, today=timezone.localdate())
    assert WantToRead.objects.exists()
    assert _stored() == _counted()


def _migrate(papers_migration: str):
    """Papers at ``papers_migration``, every other app at its latest."""
    executor = MigrationExecutor(connection)
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "papers"]
    targets = [("papers", papers_migration), *others]
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_migration_0003_counts_the_marks_already_there() -> None:
    apps = _migrate("0002_initial")
    try:
        User = apps.get_model("readinggroup", "User")
        Paper = apps.get_model("papers", "Paper")
        WantToRead = apps.get_model("readinggroup", "WantToRead")
        people = [User.objects.create(username=f"u{i}") for i in range(3)]
        papers = [
            Paper.objects.create(title=f"P{i}", title_key=f"p{i}", citation_key=f"p{i}")
            for i in range(3)
        ]
        for user in people:
            WantToRead.objects.create(user=user, paper=papers[0])
        WantToRead.objects.create(user=people[0], paper=papers[1])

        apps = _migrate("0003_paper_want_count")

        Paper = apps.get_model("papers", "Paper")
        assert list(Paper.objects.order_by("title").values_list("title", "want_count")) == [
            ("P0", 3),
            ("P1", 1),
            ("P2", 0),
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_want_mark_admin_cannot_move_a_mark_to_another_paper(client, member) -> None:
    paper, other = PaperFactory(), PaperFactory()
    mark = WantToRead.objects.create(user=member, paper=paper)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    url = reverse("admin:readinggroup_wanttoread_change", args=[mark.pk])

    client.post(url, {"user": member.pk, "paper": other.pk})

    mark.refresh_from_db()
    assert mark.paper_id == paper.pk
    counts = Paper.objects.filter(pk__in=[paper.pk, other.pk]).order_by("pk")
    assert [p.want_count for p in counts] == [1, 0]
