"""Full-text search over notes, with whichever engine the database has.

SQLite: an FTS5 table ``notes_fts`` (rowid = note id) kept in sync by triggers.
PostgreSQL: a GIN index on the expression readinggroup.notes.search queries.

Both index the note's Markdown source without HTML tags and link targets. On
SQLite the triggers strip them in plain SQL: the text is split at "<" with
json_each, and each piece loses everything up to its first ">" (then the same
with "](" and ")"); a "<" with no ">" after it is kept, so "a < b" survives.

Caution (SQLite): a later migration that makes Django rebuild readinggroup_note
(most AlterField/AddField) drops these triggers with the old table; such a
migration must run CREATE_TRIGGERS again. The search tests would catch it.
"""

from django.db import migrations


def _strip(expr, open_, close, keep):
    """SQL: expr with every open_…close span replaced by `keep` (a pure expression)."""
    return f"""(
      SELECT coalesce(group_concat(part, ''), '') FROM (
        SELECT CASE WHEN key = 0 THEN value
                    WHEN instr(value, '{close}') > 0
                      THEN '{keep}' || substr(value, instr(value, '{close}') + 1)
                    ELSE '{open_}' || value END AS part
        FROM json_each('[' || replace(json_quote({expr}), '{open_}', '","') || ']')
        ORDER BY key))"""


# The plain text of new.body: tags, then link targets, removed; no hit markers
# (char 2 and 3) and no "**", "__", "`", "~~" to clutter search snippets.
PLAIN_TEXT = _strip(_strip("new.body", "<", ">", " "), "](", ")", "]")
for _mark in ("char(2)", "char(3)", "'**'", "'__'", "'`'", "'~~'"):
    PLAIN_TEXT = f"replace({PLAIN_TEXT}, {_mark}, '')"

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE notes_fts USING fts5("
    "body, tokenize = 'porter unicode61 remove_diacritics 2')",
]
CREATE_TRIGGERS = [
    f"""CREATE TRIGGER notes_fts_insert AFTER INSERT ON readinggroup_note BEGIN
      INSERT INTO notes_fts(rowid, body) VALUES (new.id, {PLAIN_TEXT});
    END""",
    f"""CREATE TRIGGER notes_fts_update AFTER UPDATE OF body ON readinggroup_note
    WHEN old.body IS NOT new.body BEGIN
      DELETE FROM notes_fts WHERE rowid = old.id;
      INSERT INTO notes_fts(rowid, body) VALUES (new.id, {PLAIN_TEXT});
    END""",
    """CREATE TRIGGER notes_fts_delete AFTER DELETE ON readinggroup_note BEGIN
      DELETE FROM notes_fts WHERE rowid = old.id;
    END""",
]
# Notes written before this migration: "new" is each existing row.
SQLITE_BACKFILL = (
    f"INSERT INTO notes_fts(rowid, body) SELECT new.id, {PLAIN_TEXT} FROM readinggroup_note AS new"
)
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS notes_fts_insert",
    "DROP TRIGGER IF EXISTS notes_fts_update",
    "DROP TRIGGER IF EXISTS notes_fts_delete",
    "DROP TABLE IF EXISTS notes_fts",
]

# Must stay the expression readinggroup.notes.search builds (SearchVector over
# plain_text()), or PostgreSQL will not use the index.
POSTGRES_CREATE = [
    r"""CREATE INDEX note_search_idx ON readinggroup_note USING GIN (
      to_tsvector('english'::regconfig, COALESCE(
        regexp_replace(regexp_replace(body, '<[^>]*>', ' ', 'g'), '[]][(][^)]*[)]', ']', 'g'),
        ''
      ))
    )""",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS note_search_idx"]


def _run(schema_editor, by_vendor):
    for statement in by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def create_search(apps, schema_editor):
    sqlite = [*SQLITE_CREATE, *CREATE_TRIGGERS, SQLITE_BACKFILL]
    _run(schema_editor, {"sqlite": sqlite, "postgresql": POSTGRES_CREATE})


def drop_search(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})


class Migration(migrations.Migration):
    dependencies = [
        ("readinggroup", "0002_sessions_notes"),
    ]

    operations = [
        migrations.RunPython(create_search, drop_search, elidable=False),
    ]
