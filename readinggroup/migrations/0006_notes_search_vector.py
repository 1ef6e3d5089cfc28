"""PostgreSQL: store each note's tsvector instead of recomputing it.

0003 indexed the expression, which finds matches cheaply, but ranking the window
of matches (ts_rank) had to run to_tsvector again on every one of them: 30 ms of
a 35 ms search at 200,000 notes. A stored generated column is computed once per
write, and the GIN index moves onto it. SQLite keeps its FTS5 table: nothing to do.

The expression must stay the one readinggroup.notes.search.plain_text() builds
(it still makes the snippets), and the column stays out of the Note model:
Django could not create it on SQLite.
"""

from django.db import migrations

PLAIN_TEXT = (
    r"regexp_replace(regexp_replace(body, '<[^>]*>', ' ', 'g'), '[]][(][^)]*[)]', ']', 'g')"
)
POSTGRES_CREATE = [
    "ALTER TABLE readinggroup_note ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    f"(to_tsvector('english'::regconfig, COALESCE({PLAIN_TEXT}, ''))) STORED",
    "CREATE INDEX note_search_vector_idx ON readinggroup_note USING GIN (search_vector)",
    "DROP INDEX IF EXISTS note_search_idx",
]
POSTGRES_DROP = [
    "CREATE INDEX note_search_idx ON readinggroup_note USING GIN ("
    f"to_tsvector('english'::regconfig, COALESCE({PLAIN_TEXT}, '')))",
    "ALTER TABLE readinggroup_note DROP COLUMN search_vector",  # drops its index too
]


def _run(schema_editor, statements):
    if schema_editor.connection.vendor == "postgresql":
        for statement in statements:
            schema_editor.execute(statement, params=None)


def create_vector(apps, schema_editor):
    _run(schema_editor, POSTGRES_CREATE)


def drop_vector(apps, schema_editor):
    _run(schema_editor, POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("readinggroup", "0005_slot_invariants"),
    ]

    operations = [
        migrations.RunPython(create_vector, drop_vector, elidable=False),
    ]
