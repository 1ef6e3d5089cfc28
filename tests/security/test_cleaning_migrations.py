"""The migrations that clean rows stored before the checks: papers 0005, readinggroup 0011
(links that are not http(s) emptied, one-line fields put on one line) and readinggroup
0012 (every note's HTML rendered again by the new renderer)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from readinggroup.notes.rendering import render_markdown

BEFORE = [
    ("papers", "0004_paper_search_pending_and_leaner_indexes"),
    ("readinggroup", "0010_delivery_leases"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_cleaning_migrations_empty_script_links_and_join_broken_lines() -> None:
    apps = _migrate(BEFORE)
    try:
        User = apps.get_model("readinggroup", "User")
        Session = apps.get_model("readinggroup", "Session")
        Slot = apps.get_model("readinggroup", "Slot")
        Note = apps.get_model("readinggroup", "Note")
        GroupSettings = apps.get_model("readinggroup", "GroupSettings")
        Paper = apps.get_model("papers", "Paper")
        ReadingList = apps.get_model("papers", "ReadingList")
        Topic = apps.get_model("papers", "Topic")

        mira = User.objects.create(username="mira", display_name="Mira\nMember")
        evil = Paper.objects.create(
            title="An\r\nInnocent Title",
            title_key="an innocent title",
            citation_key="a\nb",
            url="JaVaScRiPt:alert(1)",
            bibtex_fields={"title": "An Innocent Title", "URL": " javascript:alert(1)"},
        )
        taken = Paper.objects.create(title="Taken", title_key="taken", citation_key="a b")
        good = Paper.objects.create(
            title="Good", title_key="good", citation_key="good", url="HTTPS://arxiv.org/abs/1"
        )
        reading_list = ReadingList.objects.create(
            name="Old\tlist", source_name="old.bib", format="bibtex", content_sha256="0" * 64
        )
        Topic.objects.create(reading_list=reading_list, name="Systems", position=1)
        Topic.objects.create(reading_list=reading_list, name="Systems\n", position=2)
        session = Session.objects.create(
            starts_at=timezone.now() + dt.timedelta(days=7),
            title="Evil\r\nBcc: all@example.org",
            video_url="data:text/html,<script>alert(1)</script>",
        )
        Slot.objects.create(
            session=session, position=1, presenter=mira, slides_url="vbscript:msgbox(1)"
        )
        GroupSettings.objects.create(pk=1, webhook_url="java\tscript:alert(1)")
        note = Note.objects.create(
            author=mira, paper=good, body="Intro:\n- a\n- b", body_html="<p>Intro:\n- a\n- b</p>"
        )

        apps = _migrate(_latest())

        Paper = apps.get_model("papers", "Paper")
        evil = Paper.objects.get(pk=evil.pk)
        assert (evil.title, evil.citation_key, evil.url, evil.bibtex_fields) == (
            "An Innocent Title",
            "a b (2)",  # "a b" was taken
            "",
            {"title": "An Innocent Title"},
        )
        assert Paper.objects.get(pk=taken.pk).citation_key == "a b"
        assert Paper.objects.get(pk=good.pk).url == "https://arxiv.org/abs/1"
        assert apps.get_model("papers", "ReadingList").objects.get().name == "Old list"
        topics = apps.get_model("papers", "Topic").objects.order_by("position")
        assert list(topics.values_list("name", flat=True)) == ["Systems", "Systems (2)"]
        session = apps.get_model("readinggroup", "Session").objects.get()
        assert (session.title, session.video_url) == ("Evil Bcc: all@example.org", "")
        assert apps.get_model("readinggroup", "Slot").objects.get().slides_url == ""
        assert apps.get_model("readinggroup", "GroupSettings").objects.get().webhook_url == ""
        assert apps.get_model("readinggroup", "User").objects.get().display_name == "Mira Member"
        note = apps.get_model("readinggroup", "Note").objects.get(pk=note.pk)
        assert note.body_html == render_markdown("Intro:\n- a\n- b")
        assert note.body_html == "<p>Intro:</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
    finally:
        _migrate(_latest())
