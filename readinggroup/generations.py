"""Data generations: what lets pages cache their renderings and never show stale data.

Every committed write to a table moves its area's counter on (``DataGeneration``).
A cached rendering is stored under the counters of the areas it depends on, so
the first request after a change computes it afresh, and unchanged areas keep
serving from the cache.

Writes are seen where they all pass: an execute wrapper on every database
connection reads the table an INSERT, UPDATE, DELETE or TRUNCATE names (an UPDATE
that only sets columns no page shows, such as ``last_login``, is no change). ORM saves,
``update()``, bulk writes, cascades, raw cursors and the admin are all covered,
with nothing to remember in new code but mapping a new table to its area (a test
insists); a write statement whose table cannot be read (a CTE, MERGE, COPY) moves
every area on, to be safe. Only writes that bypass ``execute`` (psycopg's COPY in
``papers.bulk``) count themselves, with ``count_writes``. Counters move only after
the commit, in a short statement of their own, so a reader never sees a new counter
with old data and no transaction holds the counter rows while it works; a rolled-back
write moves nothing (a rolled-back savepoint may still move its areas on: harmless,
one needless recompute).

Readers read the counters before the data, so what they cache under the counters is
at least as new as them.

Inside a transaction that has written to an area, renderings that depend on it
are computed and not cached: the cache cannot hold what others cannot see yet.

The cache is Django's default cache: per process, memory only, no server to fail.
Entries also expire after ``READINGGROUP_CACHE_SECONDS`` (a bound on what a crash
between a commit and its counter update could leave stale), and a rendering that
depends on the clock says until when it holds (``valid_until``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F
from django.utils import timezone

from .models.generations import DataArea, DataGeneration

log = logging.getLogger(__name__)

T = TypeVar("T")

CATALOGUE, SCHEDULE, MEMBERS, NOTES = (
    DataArea.CATALOGUE,
    DataArea.SCHEDULE,
    DataArea.MEMBERS,
    DataArea.NOTES,
)

# Which area each table's rows belong to. Every table of our apps is here or in
# UNTRACKED (tests/test_generations.py checks it): a new model needs a decision.
TABLE_AREAS: dict[str, DataArea] = {
    "papers_readinglist": CATALOGUE,
    "papers_topic": CATALOGUE,
    "papers_paper": CATALOGUE,
    "papers_paperalias": CATALOGUE,
    "papers_listing": CATALOGUE,
    "papers_duplicatecandidate": CATALOGUE,
    "readinggroup_wanttoread": CATALOGUE,
    "readinggroup_series": SCHEDULE,
    "readinggroup_session": SCHEDULE,
    "readinggroup_slot": SCHEDULE,
    "readinggroup_unavailability": SCHEDULE,
    "readinggroup_user": MEMBERS,
    "readinggroup_user_groups": MEMBERS,
    "readinggroup_user_user_permissions": MEMBERS,
    "readinggroup_invite": MEMBERS,
    "readinggroup_note": NOTES,
}
# Tables no cached rendering reads.
UNTRACKED = frozenset(
    {
        "readinggroup_datageneration",
        "readinggroup_groupsettings",
        "readinggroup_notification",
        "readinggroup_outboxmessage",
        "papers_pendingimport",
        "readinggroup_throttledemail",
    }
)

# Columns no cached rendering shows, written on routine occasions (every login, every
# weekly digest): an UPDATE that sets only these changes nothing a page caches.
UNSHOWN_COLUMNS: dict[str, frozenset[str]] = {
    "readinggroup_user": frozenset({"last_login", "last_digest_at"}),
}
# The SET list of an UPDATE of plain parameters, as the ORM writes for save(update_fields)
# and update(): `SET "a" = %s, "b" = %s WHERE`. Anything else counts as a change.
_PLAIN_SET = re.compile(
    r"""UPDATE\s+["`]?\w+["`]?\s+SET\s+((?:["`]?\w+["`]?\s*=\s*(?:%s|\?)\s*,?\s*)+)WHERE\b""",
    re.IGNORECASE,
)
_SET_COLUMN = re.compile(r"""["`]?(\w+)["`]?\s*=""")

# Leading white space and SQL comments, which say nothing about what a statement does.
_LEAD = re.compile(r"^(?:\s+|--[^\n]*\n?|/\*.*?\*/)+", re.DOTALL)
_TABLE = r"""(?:ONLY\s+)?(?:["`]?\w+["`]?\.)?["`]?(\w+)"""  # [ONLY] [schema.]table
_WRITE = re.compile(
    r"""(?:
        INSERT\s+(?:OR\s+\w+\s+)?INTO | REPLACE\s+INTO | UPDATE(?:\s+OR\s+\w+)? | DELETE\s+FROM
    )\s+"""
    + _TABLE,
    re.IGNORECASE | re.VERBOSE,
)
_TRUNCATE = re.compile(r"TRUNCATE\s+(?:TABLE\s+)?(.*)", re.IGNORECASE | re.DOTALL)
_NAME = re.compile(_TABLE)
# Writes whose table is not at the start: a WITH that modifies, MERGE, COPY ... FROM.
_OTHER_WRITE = re.compile(
    r"(?:WITH\b.*\b(?:INSERT|UPDATE|DELETE)\b|MERGE\b|COPY\b.*\bFROM\b)",
    re.IGNORECASE | re.DOTALL,
)


def written_areas(sql: str) -> set[DataArea]:
    """The areas a statement writes to (empty for reads and untracked tables; every
    area for a write whose table cannot be read)."""
    if not isinstance(sql, str):
        sql = str(sql)
    if sql.startswith("SELECT"):  # most statements, as the ORM writes them: no regex
        return set()
    sql = _LEAD.sub("", sql, count=1)
    match = _WRITE.match(sql)
    if match:
        table = match.group(1).lower()
        area = TABLE_AREAS.get(table)
        if area is None or _sets_only_unshown(sql, table):
            return set()
        return {area}
    match = _TRUNCATE.match(sql)
    if match:
        names = match.group(1).split(" RESTART")[0].split(" CASCADE")[0]
        tables = [name.lower() for name in _NAME.findall(names)]
        return {TABLE_AREAS[t] for t in tables if t in TABLE_AREAS}
    if _OTHER_WRITE.match(sql):
        return set(DataArea)
    return set()


def _sets_only_unshown(sql: str, table: str) -> bool:
    unshown = UNSHOWN_COLUMNS.get(table)
    if not unshown:
        return False
    plain = _PLAIN_SET.match(sql)
    return plain is not None and set(_SET_COLUMN.findall(plain.group(1))) <= unshown


# --- Counting writes ------------------------------------------------------------------


class _Bump:
    """The after-commit callback of one transaction: moves on the areas it wrote to."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.areas: set[DataArea] = set()

    def __call__(self) -> None:
        bump(self.areas, using=self.alias)


def _pending_bump(connection: BaseDatabaseWrapper) -> _Bump | None:
    # Django keeps on_commit callbacks in run_on_commit and drops those of a rolled-back
    # transaction (or savepoint, with the writes made in it), so one found here runs
    # if and only if the transaction commits.
    for _savepoints, func, _robust in connection.run_on_commit:
        if isinstance(func, _Bump):
            return func
    return None


def _on_commit_first(connection: BaseDatabaseWrapper, bump_: _Bump) -> None:
    """Register ``bump_`` to run first after the commit, and robustly: Django stops
    running a transaction's callbacks at the first that raises, and a counter left
    behind would keep stale renderings in the cache."""
    connection.on_commit(bump_, robust=True)
    connection.run_on_commit.insert(0, connection.run_on_commit.pop())


def _track_writes(execute, sql, params, many, context):
    """Execute wrapper: after a write to a tracked table, count it (at commit)."""
    result = execute(sql, params, many, context)
    areas = written_areas(sql)
    if areas:
        count_writes(context["connection"], areas)
    return result


def count_writes(connection: BaseDatabaseWrapper, areas: Iterable[DataArea]) -> None:
    """Count writes to ``areas`` made on ``connection``: their counters move on once the
    transaction commits (at once in autocommit). The execute wrapper calls this for
    every statement; call it only for writes that bypass ``execute``, such as COPY."""
    areas = set(areas)
    if not areas or not _tracking:
        return
    if not connection.in_atomic_block:
        bump(areas, using=connection.alias)  # autocommit: the write is committed
        return
    pending = _pending_bump(connection)
    if pending is None:
        pending = _Bump(connection.alias)
        _on_commit_first(connection, pending)
    pending.areas |= areas


_tracking = True


def install(connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """``connection_created`` receiver: watch this connection's writes."""
    if _track_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_track_writes)


def pause_tracking(**kwargs: object) -> None:
    """``pre_migrate`` receiver: migrations may write before the counters' table exists."""
    global _tracking
    _tracking = False


def after_migrate(using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
    """``post_migrate`` receiver: make sure every area has its row, then move them all on
    (a migration may have changed anything)."""
    global _tracking
    _tracking = True
    # A new row starts at a random count, so that counters recreated after a flush do
    # not meet renderings other processes cached under the old counters' first values.
    try:
        DataGeneration.objects.using(using).bulk_create(
            [DataGeneration(area=area, counter=secrets.randbits(48)) for area in DataArea],
            ignore_conflicts=True,
        )
    except DatabaseError:  # migrated backwards, before the table
        return
    bump(DataArea, using=using)


def bump(areas: Iterable[DataArea], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Move these areas' counters on: every cached rendering depending on them is stale."""
    areas = sorted(areas)
    if not areas:
        return
    try:
        DataGeneration.objects.using(using).filter(area__in=areas).update(counter=F("counter") + 1)
    except DatabaseError:
        # The write itself has committed; its renderings stay cached at most
        # READINGGROUP_CACHE_SECONDS. Say so rather than fail the request after the fact.
        log.warning("Could not count a change to %s; cached pages may lag", areas, exc_info=True)


# --- Reading through the cache --------------------------------------------------------


@dataclass(frozen=True)
class Generations:
    """The counters at one moment (one query); ``cached`` reads renderings through them."""

    counters: dict[str, int]
    alias: str = DEFAULT_DB_ALIAS

    @classmethod
    def read(cls, using: str = DEFAULT_DB_ALIAS) -> Generations:
        rows = DataGeneration.objects.using(using).values_list("area", "counter")
        return cls(dict(rows), using)

    def cached(
        self,
        name: str,
        *,
        areas: Iterable[DataArea],
        key: Iterable[Any] = (),
        compute: Callable[[], tuple[T, dt.datetime | None]],
    ) -> T:
        """``compute()``'s value, from the cache when nothing it depends on has changed.

        ``compute`` returns the value and until when it holds regardless of writes
        (None: until the data changes), for values that depend on the clock.
        """
        areas = sorted(set(areas))
        seconds = settings.READINGGROUP_CACHE_SECONDS
        counters = [self.counters.get(area) for area in areas]
        if not seconds or None in counters or self._written_here(areas):
            return compute()[0]
        parts = [name, *(f"{a}={c}" for a, c in zip(areas, counters, strict=True)), *key]
        digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
        cache_key = f"rg:{name}:{digest}"
        now = timezone.now()
        hit = cache.get(cache_key)
        if hit is not None and (hit[0] is None or now < hit[0]):
            return hit[1]
        value, valid_until = compute()
        timeout = seconds
        if valid_until is not None:
            timeout = max(1, min(seconds, int((valid_until - now).total_seconds()) + 1))
        cache.set(cache_key, (valid_until, value), timeout)
        return value

    def _written_here(self, areas: list[DataArea]) -> bool:
        """Whether the current transaction wrote to any of ``areas`` (not committed yet)."""
        connection = connections[self.alias]
        if not connection.in_atomic_block:
            return False
        pending = _pending_bump(connection)
        return pending is not None and not pending.areas.isdisjoint(areas)
