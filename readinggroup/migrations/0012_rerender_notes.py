"""Notes are rendered by markdown-it-py now: store every note's HTML as it renders.

The same Markdown gives the same HTML but for a few CommonMark rules (a list may
follow a paragraph line directly, two-space indents nest lists, ``#Title`` needs a
space to be a heading, a line that starts with a tag is raw HTML); re-rendering
makes old notes show what an edit would give them.
"""

from django.db import migrations

BATCH = 500


def rerender(apps, schema_editor):
    # The renderer of the day, on purpose: the point is to match what new notes get.
    from readinggroup.notes.rendering import render_markdown

    Note = apps.get_model("readinggroup", "Note")
    notes = Note.objects.only("pk", "body", "body_html").order_by("pk")
    last = 0
    # A batch at a time, each read whole before it is written (SQLite does not promise
    # what a query still reading a table returns once that table is written to).
    while batch := list(notes.filter(pk__gt=last)[:BATCH]):
        last = batch[-1].pk
        changed = []
        for note in batch:
            html = render_markdown(note.body)
            if html != note.body_html:
                note.body_html = html
                changed.append(note)
        Note.objects.bulk_update(changed, ["body_html"])


class Migration(migrations.Migration):
    dependencies = [("readinggroup", "0011_clean_links_and_lines")]

    operations = [migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True)]
