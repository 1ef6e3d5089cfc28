"""Bring stored papers within 0006's constraints: web links only, one-line fields.

Before this, imports stored any link a reading list gave (``javascript:``,
``data:``...), and single-line fields could hold line breaks. A link that is not
http(s) is emptied (and dropped from the paper's BibTeX fields, so an export does
not carry it on); in one-line fields each run of line breaks, tabs and other
control characters becomes one space. The rules are copied here, not imported, so
that this migration keeps meaning what it meant.
"""

import re

from django.db import migrations

SHOWN = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
PAPER_LINES = ("title", "short_name", "venue", "pages", "doi", "citation_key", "entry_type")


def web_link(value):
    """The link with a lower-case scheme, or "" when it is not an http(s) link."""
    scheme, sep, rest = value.strip().partition("://")
    text = f"{scheme.lower()}{sep}{rest}"
    return text if SHOWN.fullmatch(text) else ""


def one_line(value):
    return " ".join(CONTROL.sub(" ", value).split()) if CONTROL.search(value) else value


def free_value(queryset, field, value, pk):
    """``value``, or ``value (2)``... when another row of ``queryset`` has it (unique fields)."""
    candidate, n = value, 2
    while queryset.filter(**{field: candidate}).exclude(pk=pk).exists():
        candidate, n = f"{value} ({n})", n + 1
    return candidate


def clean(apps, schema_editor):
    Paper = apps.get_model("papers", "Paper")
    ReadingList = apps.get_model("papers", "ReadingList")
    Topic = apps.get_model("papers", "Topic")
    PendingImport = apps.get_model("papers", "PendingImport")

    # Changes are gathered first and written after each read: SQLite does not promise
    # what a query still reading a table returns once that table is written to.
    updates = []
    for paper in Paper.objects.only("pk", "url", "bibtex_fields", *PAPER_LINES).iterator():
        changes = {}
        if paper.url and web_link(paper.url) != paper.url:
            changes["url"] = web_link(paper.url)
        fields = paper.bibtex_fields if isinstance(paper.bibtex_fields, dict) else {}
        kept = {
            k: v
            for k, v in fields.items()
            if k.casefold() != "url" or (isinstance(v, str) and web_link(v))
        }
        if kept != fields:
            changes["bibtex_fields"] = kept
        for name in PAPER_LINES:
            value = getattr(paper, name)
            if one_line(value) != value:
                changes[name] = one_line(value)
        if changes:
            updates.append((paper.pk, changes))
    for pk, changes in updates:
        if "citation_key" in changes:
            key = changes["citation_key"] or f"paper{pk}"
            changes["citation_key"] = free_value(Paper.objects, "citation_key", key, pk)
        Paper.objects.filter(pk=pk).update(**changes)

    # Few rows each: read whole.
    for reading_list in list(ReadingList.objects.only("pk", "name", "source_name")):
        changes = {}
        if one_line(reading_list.name) != reading_list.name:
            changes["name"] = one_line(reading_list.name)
        if one_line(reading_list.source_name) != reading_list.source_name:
            source = one_line(reading_list.source_name)
            changes["source_name"] = free_value(
                ReadingList.objects, "source_name", source, reading_list.pk
            )
        if changes:
            ReadingList.objects.filter(pk=reading_list.pk).update(**changes)

    for topic in list(Topic.objects.only("pk", "name", "reading_list_id")):
        if one_line(topic.name) != topic.name:
            same_list = Topic.objects.filter(reading_list_id=topic.reading_list_id)
            name = free_value(same_list, "name", one_line(topic.name), topic.pk)
            Topic.objects.filter(pk=topic.pk).update(name=name)

    for pending in list(PendingImport.objects.only("pk", "filename")):
        if one_line(pending.filename) != pending.filename:
            PendingImport.objects.filter(pk=pending.pk).update(filename=one_line(pending.filename))


class Migration(migrations.Migration):
    dependencies = [("papers", "0004_paper_search_pending_and_leaner_indexes")]

    operations = [migrations.RunPython(clean, migrations.RunPython.noop, elidable=True)]
