"""Migration 0005 brings old rows within the new slot constraints before adding them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("readinggroup", "0004_members_notifications")]
AFTER = [("readinggroup", "0005_slot_invariants")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_0005_empties_orphaned_slides_and_second_slots_of_a_presenter(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    apps = _migrate(BEFORE)
    try:
        User = apps.get_model("readinggroup", "User")
        Session = apps.get_model("readinggroup", "Session")
        Slot = apps.get_model("readinggroup", "Slot")
        Paper = apps.get_model("papers", "Paper")
        mira = User.objects.create(username="mira")
        session = Session.objects.create(starts_at=timezone.now() + dt.timedelta(days=7))
        papers = [
            Paper.objects.create(title=f"P{i}", title_key=f"p{i}", citation_key=f"p{i}")
            for i in range(3)
        ]
        orphan = Path(settings.MEDIA_ROOT) / "slides" / "old.pdf"
        orphan.parent.mkdir(parents=True)
        orphan.write_bytes(b"%PDF-1.4\n")
        # Slot 1: left behind by a removed member, slides and all.
        Slot.objects.create(
            session=session,
            position=1,
            paper=papers[0],
            slides_url="https://example.org/x",
            slides_file="slides/old.pdf",
        )
        # Slots 2 and 3: Mira twice.
        for position, paper in ((2, papers[1]), (3, papers[2])):
            Slot.objects.create(
                session=session,
                position=position,
                presenter=mira,
                paper=paper,
                confirmed_at=timezone.now(),
                slides_url="https://example.org/mira",
            )

        apps = _migrate(AFTER)

        Slot = apps.get_model("readinggroup", "Slot")
        rows = list(
            Slot.objects.order_by("position").values_list(
                "position", "presenter__username", "paper__title", "slides_url", "slides_file"
            )
        )
        assert rows == [
            (1, None, "P0", "", ""),
            (2, "mira", "P1", "https://example.org/mira", ""),
            (3, None, None, "", ""),
        ]
        assert not orphan.exists()
    finally:
        _migrate_to_latest()


def _migrate_to_latest() -> None:
    """Back to every app's newest migration, as the rest of the suite expects."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
