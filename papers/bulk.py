"""Inserting many new rows at once: one statement, no model instances.

An import of 10,000 entries writes 10,000 papers and listings. ``bulk_create``
spends most of that time compiling SQL (SQLite allows only about 60 papers per
statement) and building model instances; this takes the rows' values straight from
plain dicts and sends them in one go: an executemany on SQLite, a COPY on PostgreSQL
(where an executemany spends three quarters of its time quoting values in Python).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import NOT_PROVIDED
from django.utils import timezone

from readinggroup.generations import TABLE_AREAS, count_writes

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


def insert_rows(
    model: type[models.Model], rows: Iterable[Row], *, ignore_conflicts: bool = False
) -> int:
    """Insert ``rows`` (attname -> value, the same names in every row) as new ``model``
    rows; how many. With ``ignore_conflicts``, rows breaking a unique constraint are
    skipped (and not counted), as ``bulk_create(ignore_conflicts=True)`` does.

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
    table = connection.ops.quote_name(model._meta.db_table)
    data = [[value(row) for value in values] for row in rows]
    if connection.vendor == "postgresql" and not ignore_conflicts:
        _copy(
            connection,
            model._meta.db_table,
            f"COPY {table} ({', '.join(columns)}) FROM STDIN",
            data,
        )
    else:
        sql = "INSERT INTO {} ({}) VALUES ({}){}".format(
            table,
            ", ".join(columns),
            ", ".join(["%s"] * len(columns)),
            " ON CONFLICT DO NOTHING" if ignore_conflicts else "",
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, data)
            if ignore_conflicts:
                return cursor.rowcount  # the rows inserted, over every execution
    return len(rows)


def _copy(connection: BaseDatabaseWrapper, table: str, sql: str, data: list[list]) -> None:
    """COPY ``data`` in through psycopg, as Django's own cursor would run a statement:
    database errors arrive as Django's (an IntegrityError is an IntegrityError), the
    statement is logged where queries are counted, and the write is counted for the
    cache, which only sees what passes through ``execute``."""
    started = time.monotonic()
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in data:
            copy.write_row(row)
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"{sql} -- {len(data)} rows", "time": f"{time.monotonic() - started:.3f}"}
        )
    count_writes(connection, [TABLE_AREAS[table]] if table in TABLE_AREAS else [])


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


# Keys per IN (...) on SQLite, which caps a statement's parameters (32,766 since 3.32).
LOOKUP_CHUNK = 5000


def values_by_key(
    model: type[models.Model], key: str, value: str, keys: Iterable[str]
) -> dict[str, object]:
    """``key`` -> ``value`` (field names) for the rows of ``model`` whose ``key`` is one of
    ``keys``.

    For the thousands of keys of an import: on PostgreSQL one ``= ANY(array)`` query, as
    quoting thousands of ``IN (...)`` parameters one by one costs more than the query; on
    SQLite one ``IN`` query per LOOKUP_CHUNK keys.
    """
    keys = list(keys)
    connection = connections[router.db_for_read(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    key_column = quote(meta.get_field(key).column)
    value_column = quote(meta.get_field(value).column)
    select = f"SELECT {key_column}, {value_column} FROM {quote(meta.db_table)} WHERE {key_column}"
    found: dict[str, object] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{select} = ANY(%s)", [keys])
            found.update(cursor.fetchall())
        else:
            for start in range(0, len(keys), LOOKUP_CHUNK):
                chunk = keys[start : start + LOOKUP_CHUNK]
                cursor.execute(f"{select} IN ({', '.join(['%s'] * len(chunk))})", chunk)
                found.update(cursor.fetchall())
    return found
