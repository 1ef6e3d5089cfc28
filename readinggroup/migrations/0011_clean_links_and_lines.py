"""Bring stored rows within 0011's constraints: web links only, one-line fields.

A video, slides or webhook link that is not http(s) is emptied; in one-line fields
(titles, places, names, notes on unavailable dates, subjects) each run of line
breaks, tabs and other control characters becomes one space. The rules are copied
here, not imported, so that this migration keeps meaning what it meant.
"""

import re

from django.db import migrations

SHOWN = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# (model, link fields, one-line fields)
FIELDS = [
    ("Session", ["video_url"], ["title", "place"]),
    ("Series", [], ["title"]),
    ("Slot", ["slides_url"], []),
    ("GroupSettings", ["webhook_url"], []),
    ("Unavailability", [], ["note"]),
    ("User", [], ["first_name", "last_name", "email", "display_name"]),
    ("Invite", [], ["email"]),
    ("Notification", [], ["subject"]),
]


def web_link(value):
    """The link with a lower-case scheme, or "" when it is not an http(s) link."""
    scheme, sep, rest = value.strip().partition("://")
    text = f"{scheme.lower()}{sep}{rest}"
    return text if SHOWN.fullmatch(text) else ""


def one_line(value):
    return " ".join(CONTROL.sub(" ", value).split()) if CONTROL.search(value) else value


def clean(apps, schema_editor):
    for model_name, links, lines in FIELDS:
        model = apps.get_model("readinggroup", model_name)
        # Changes are gathered first and written after the read: SQLite does not
        # promise what a query still reading a table returns once it is written to.
        updates = []
        for row in model.objects.only("pk", *links, *lines).iterator():
            changes = {}
            for name in links:
                value = getattr(row, name)
                if value and web_link(value) != value:
                    changes[name] = web_link(value)
            for name in lines:
                value = getattr(row, name)
                if one_line(value) != value:
                    changes[name] = one_line(value)
            if changes:
                updates.append((row.pk, changes))
        for pk, changes in updates:
            model.objects.filter(pk=pk).update(**changes)


class Migration(migrations.Migration):
    dependencies = [("readinggroup", "0010_delivery_leases")]

    operations = [migrations.RunPython(clean, migrations.RunPython.noop, elidable=True)]
