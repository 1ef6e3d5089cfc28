from __future__ import annotations

import io
import random

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from benchmarks.generate import NoteBodies, generate_group
from benchmarks.shapes import SHAPES
from papers.models import Listing, Paper, ReadingList, Topic
from readinggroup.models import Note, Session, Slot, Unavailability, User, WantToRead
from readinggroup.notes.rendering import render_markdown

from .conftest import TODAY


def _snapshot() -> dict:
    """The generated group by natural keys (not primary keys)."""
    return {
        "papers": list(Paper.objects.order_by("title_key").values_list("title", "authors", "year")),
        "members": list(User.objects.order_by("username").values_list("username", "role")),
        "sessions": list(Session.objects.order_by("starts_at", "title").values_list("starts_at")),
        "slots": list(
            Slot.objects.order_by("session__starts_at", "position").values_list(
                "presenter__username", "paper__title_key"
            )
        ),
        "marks": sorted(WantToRead.objects.values_list("user__username", "paper__title_key")),
        "notes": sorted(Note.objects.values_list("author__username", "body", "created_at")),
    }


def _delete_group() -> None:
    for model in (Note, WantToRead, Slot, Session, Unavailability, User, Listing, Paper, Topic):
        model.objects.all().delete()
    ReadingList.objects.all().delete()


def test_generate_group_tiny_has_the_shape_asked_for(tiny_group):
    shape = SHAPES["tiny"]
    assert tiny_group.counts["papers"] == Paper.objects.count() == shape.papers
    assert User.objects.count() == shape.members
    assert Session.objects.count() == shape.sessions
    assert Note.objects.count() == shape.notes
    assert WantToRead.objects.count() == shape.marks
    assert not Paper.objects.filter(listings=None).exists()  # every paper is in a topic
    assert Session.objects.upcoming().count() == shape.upcoming_weeks
    assert Note.objects.filter(parent__isnull=False).count() == int(shape.notes * 0.3)
    assert User.objects.filter(role="organizer").count() >= 1


def test_generate_group_lab_has_every_mark_even_when_members_hit_the_catalogue_size(db):
    report = generate_group(SHAPES["lab"], seed=1, today=TODAY)
    assert report.counts["marks"] == WantToRead.objects.count() == 5_000
    assert report.counts["papers"] == 319 and report.counts["notes"] == 3_000


def test_generate_group_same_seed_gives_the_same_group_and_another_seed_does_not(db):
    generate_group(SHAPES["tiny"], seed=5, today=TODAY)
    first = _snapshot()
    _delete_group()
    generate_group(SHAPES["tiny"], seed=5, today=TODAY)
    assert _snapshot() == first
    _delete_group()
    generate_group(SHAPES["tiny"], seed=6, today=TODAY)
    assert _snapshot()["papers"] != first["papers"]


def test_generate_group_respects_scheduling_and_thread_rules(tiny_group):
    now = timezone.now()
    upcoming = Slot.objects.filter(upcoming=True)
    assert upcoming.exists()
    assert not upcoming.filter(session__starts_at__lt=now).exists()
    assert (
        not Slot.objects.filter(upcoming=False, session__starts_at__gt=now)
        .exclude(session__status="cancelled")
        .exists()
    )
    papers = [p for p in upcoming.values_list("paper_id", flat=True) if p]
    assert len(papers) == len(set(papers))  # a paper at most once among upcoming slots
    past = Slot.objects.filter(session__starts_at__lt=now, session__status="scheduled")
    assert not past.filter(presenter=None).exists()
    assert not past.filter(paper=None).exists()
    for reply in Note.objects.filter(parent__isnull=False).select_related("parent"):
        assert (reply.session_id, reply.paper_id) == (
            reply.parent.session_id,
            reply.parent.paper_id,
        )
        assert reply.created_at >= reply.parent.created_at
    presenters = Slot.objects.filter(presenter__isnull=False).values("session", "presenter")
    assert all(row["n"] == 1 for row in presenters.annotate(n=Count("id")))
    pinned = Note.objects.filter(pinned=True).values("session").annotate(n=Count("id"))
    assert all(row["n"] == 1 for row in pinned)
    assert not Note.objects.filter(created_at__gt=now).exists()
    for note in Note.objects.order_by("pk")[:30]:
        assert note.body_html == render_markdown(note.body)


def test_note_bodies_fill_in_exactly_what_markdown_renders():
    bodies = NoteBodies()
    rng = random.Random(11)
    for index in range(len(bodies.templates)):
        for _ in range(10):
            body, html = bodies.make(index, bodies.random_values(rng))
            assert "ZZSLOT" not in body + html
            assert html == render_markdown(body)


def test_generate_group_command_refuses_a_database_with_a_group_until_replace(transactional_db):
    # Each command commits, as from a shell: PostgreSQL cannot TRUNCATE (--replace)
    # tables with checks still pending in the same transaction.
    out = io.StringIO()
    call_command("generate_group", "--size", "tiny", stdout=out)
    assert "Generated tiny (seed 1): 80 papers" in out.getvalue()
    with pytest.raises(CommandError, match="already holds 16 sessions; 120 notes"):
        call_command("generate_group", "--size", "tiny", stdout=io.StringIO())
    call_command("generate_group", "--size", "tiny", "--seed", "2", "--replace", stdout=out)
    assert "--replace: deleting every row" in out.getvalue()
    assert Session.objects.count() == 16


def test_generate_group_command_refuses_real_group_data(db, member):
    Session.objects.create(starts_at=timezone.now(), title="A real session")
    with pytest.raises(CommandError, match="already holds 1 sessions"):
        call_command("generate_group", "--size", "tiny", stdout=io.StringIO())
    assert Session.objects.get().title == "A real session"
    assert not Note.objects.exists()
