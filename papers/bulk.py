"""Inserting many new rows at once: one executemany, no model instances.

An import of 10,000 entries writes 10,000 papers and listings. ``bulk_create``
spends most of that time compiling SQL (SQLite allows only about 60 papers per
statement) and building model instances; this builds one statement and the rows'
values straight from plain dicts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping

from django.db import connections, models, router
from django.db.models import NOT_PROVIDED
from django.utils import timezone

# Fields whose Python values go to the database as they are (strings, numbers, booleans,
# and ids for foreign keys); other fields convert through get_db_prep_save.
_AS_IS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.FloatField,
    models.BooleanField,
    models.ForeignKey,
)

Row = Mapping[str, object]


def insert_rows(model: type[models.Model], rows: Iterable[Row]) -> int:
    """Insert ``rows`` (attname -> value, the same names in every row) as new ``model``
    rows; how many.

    A field a row leaves out takes its default, and its database default when it has
    one; ``auto_now``/``auto_now_add`` times are one ``now`` for every row, as for rows
    made in one transaction. Returns nothing of the rows: read their ids back by a
    unique column if they are needed.
    """
    rows = list(rows)
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    given = rows[0].keys()
    columns: list[str] = []
    values: list[Callable[[Row], object]] = []
    now = timezone.now()
    for field in model._meta.concrete_fields:
        if field.primary_key or field.generated:
            continue
        if field.attname not in given and field.db_default is not NOT_PROVIDED:
            continue  # the database fills it
        columns.append(connection.ops.quote_name(field.column))
        values.append(_value_of(field, given, connection, now))
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        connection.ops.quote_name(model._meta.db_table),
        ", ".join(columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[value(row) for value in values] for row in rows])
    return len(rows)


def _value_of(field: models.Field, given, connection, now: dt.datetime) -> Callable[[Row], object]:
    """How to read ``field``'s database value from a row."""
    auto_time = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    if auto_time and field.attname not in given:
        stamp = field.get_db_prep_save(now, connection)
        return lambda row: stamp
    if field.attname not in given:
        default = field.get_db_prep_save(field.get_default(), connection)
        return lambda row: default
    name = field.attname
    if isinstance(field, _AS_IS):
        return lambda row: row[name]
    return lambda row: field.get_db_prep_save(row[name], connection)
