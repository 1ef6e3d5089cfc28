"""Inserting many new rows at once: one statement, no model instances.

An import of 10,000 entries writes 10,000 papers and listings. ``bulk_create``
spends most of that time compiling SQL (SQLite allows only about 60 papers per
statement) and building model instances; this takes the rows' values straight from
plain dicts and sends them in one go: an executemany on SQLite, a COPY on PostgreSQL
(where an executemany spends three quarters of its time quoting values in Python),
except when conflicting rows are to be skipped, which COPY cannot do.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import chain
from operator import itemgetter

import psycopg
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

    ``rows`` is read as it is sent: with a generator, PostgreSQL stores the rows sent
    while the next ones are made (the server runs on another core).
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    if not first:
        raise ValueError(f"insert_rows needs rows with fields of {model.__name__}")
    connection = connections[router.db_for_write(model)]
    given = first.keys()
    # The rows' own fields first, read with one itemgetter per row (the C loop matters at
    # 10,000 rows), some converted; then the fields every row leaves to its default.
    names: list[str] = []
    convert: list[tuple[int, Callable[[object], object]]] = []
    columns: list[str] = []
    fixed_columns: list[str] = []
    fixed: list[object] = []
    now = timezone.now()
    for field in model._meta.concrete_fields:
        if field.primary_key or field.generated:
            continue
        column = connection.ops.quote_name(field.column)
        if field.attname in given:
            if not isinstance(field, _AS_IS):
                convert.append((len(names), _converter(field, connection)))
            names.append(field.attname)
            columns.append(column)
        elif field.db_default is NOT_PROVIDED:  # else the database fills it
            fixed_columns.append(column)
            fixed.append(_default(field, connection, now))
    columns += fixed_columns
    values = itemgetter(*names)
    sent = 0

    def data() -> Iterator[list]:
        nonlocal sent
        for row in chain([first], rows):
            value = list(values(row)) if len(names) > 1 else [values(row)]
            for position, to_db in convert:
                value[position] = to_db(value[position])
            sent += 1
            yield value + fixed if fixed else value

    table = connection.ops.quote_name(model._meta.db_table)
    if connection.vendor == "postgresql" and not ignore_conflicts:
        _copy(
            connection,
            model._meta.db_table,
            f"COPY {table} ({', '.join(columns)}) FROM STDIN",
            data(),
        )
    else:
        sql = "INSERT INTO {} ({}) VALUES ({}){}".format(
            table,
            ", ".join(columns),
            ", ".join(["%s"] * len(columns)),
            " ON CONFLICT DO NOTHING" if ignore_conflicts else "",
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, data())
            if ignore_conflicts:
                return cursor.rowcount  # the rows inserted, over every execution
    return sent


@contextmanager
def _psycopg(connection: BaseDatabaseWrapper, sql: str) -> Iterator[psycopg.Cursor]:
    """A psycopg cursor with server-side parameters (Django's quotes every value in
    Python). Database errors arrive as Django's (an IntegrityError is an IntegrityError)
    and the statement is logged where tests count queries, but Django's execute
    wrappers and its SQL debug log do not see it: count writes with count_writes."""
    started = time.monotonic()
    with (
        connection.cursor() as wrapper,
        connection.wrap_database_errors,
        psycopg.Cursor(wrapper.cursor.connection) as cursor,
    ):
        yield cursor
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


def _copy(connection: BaseDatabaseWrapper, table: str, sql: str, data: Iterable[list]) -> None:
    """COPY ``data`` in, and count the write for the cache."""
    with _psycopg(connection, sql) as cursor, cursor.copy(sql) as copy:
        for row in data:
            copy.write_row(row)
    count_writes(connection, [TABLE_AREAS[table]] if table in TABLE_AREAS else [])


def _converter(field: models.Field, connection: BaseDatabaseWrapper) -> Callable[[object], object]:
    """How a row's value for ``field`` goes to the database."""
    if isinstance(field, models.JSONField):
        # JSON text: what SQLite stores and PostgreSQL's COPY reads into jsonb, without
        # wrapping each value in an adapter first. None is SQL NULL, as for the ORM.
        dumps = functools.partial(json.dumps, cls=field.encoder)
        return lambda value: None if value is None else dumps(value)
    return functools.partial(field.get_db_prep_save, connection=connection)


def _default(field: models.Field, connection: BaseDatabaseWrapper, now: dt.datetime) -> object:
    """The database value of a field a row leaves out."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return field.get_db_prep_save(now, connection)
    return field.get_db_prep_save(field.get_default(), connection)


# Keys per IN (...) on SQLite, which caps a statement's parameters (32,766 since 3.32).
LOOKUP_CHUNK = 5000


def values_by_key(
    model: type[models.Model], key: str, value: str, keys: Iterable[str]
) -> dict[str, object]:
    """``key`` -> ``value`` (field names) for the rows of ``model`` whose ``key`` is one of
    ``keys``.

    For the thousands of keys of an import: on PostgreSQL one ``= ANY(array)`` query with
    the array sent as a binary parameter, as quoting thousands of keys in Python costs more
    than the query; on SQLite one ``IN`` query per LOOKUP_CHUNK keys.
    """
    keys = list(keys)
    if not keys:
        return {}
    connection = connections[router.db_for_read(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    key_column = quote(meta.get_field(key).column)
    value_column = quote(meta.get_field(value).column)
    select = f"SELECT {key_column}, {value_column} FROM {quote(meta.db_table)} WHERE {key_column}"
    found: dict[str, object] = {}
    if connection.vendor == "postgresql":
        with _psycopg(connection, f"{select} = ANY(<{len(keys)} keys>)") as cursor:
            cursor.execute(f"{select} = ANY(%b)", [keys])
            found.update(cursor.fetchall())
        return found
    with connection.cursor() as cursor:
        for start in range(0, len(keys), LOOKUP_CHUNK):
            chunk = keys[start : start + LOOKUP_CHUNK]
            cursor.execute(f"{select} IN ({', '.join(['%s'] * len(chunk))})", chunk)
            found.update(cursor.fetchall())
    return found
