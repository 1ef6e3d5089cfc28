"""Enqueue Celery tasks through the database, so no request fails or waits on the broker.

``enqueue()`` writes an OutboxMessage in the caller's transaction. Once that commits,
the message is published and marked enqueued. If the broker refuses it (Redis down),
the request goes on: the row keeps the error and ``sweep()`` (the ``outbox.sweep``
task, every 30 seconds) publishes it when the broker is back.

A message counts as delivered only once a worker has started its task: each is
published under the task id ``outbox-<pk>-<n>``, and the worker stamps ``started_at``
before the task runs (``mark_started``, on Celery's task_prerun signal). One published
but not started within the visibility timeout (READINGGROUP_VISIBILITY_TIMEOUT, the
time Redis itself waits before it redelivers a task a worker took and never
acknowledged) was lost, with Redis's data or a worker killed before it began, and the
sweep publishes it again. So a message can run twice but is never lost, and tasks
must be idempotent; the domain tasks are.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from functools import cache
from typing import Any

from celery.signals import task_prerun
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from readinggroup.celery import app
from readinggroup.models import OutboxMessage

logger = logging.getLogger(__name__)

# What a broker that is down or unreachable raises on publish: kombu's OperationalError,
# RuntimeError (result backends), socket errors and timeouts (OSError).
PUBLISH_ERRORS = (KombuError, RedisError, OSError, RuntimeError)

# The sweep leaves a fresh, never-tried message to the publish its own commit
# triggers, so the two rarely publish the same message.
SWEEP_GRACE = timedelta(seconds=60)
SWEEP_BATCH = 100
TASK_ID = re.compile(r"^outbox-(\d+)-\d+$")


def republish_after() -> timedelta:
    """How long a published message may wait for a worker before it counts as lost."""
    return timedelta(seconds=settings.READINGGROUP_VISIBILITY_TIMEOUT)


def enqueue(task_name: str, /, **kwargs: Any) -> OutboxMessage:
    """Run the task ``task_name(**kwargs)`` once the current transaction commits.

    kwargs must be JSON values (ids, not objects). Never raises for the broker.
    """
    message = OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs)
    # robust: whatever goes wrong after the commit, the request has already succeeded.
    transaction.on_commit(lambda: publish(message), robust=True)
    return message


def sweep(*, batch_size: int = SWEEP_BATCH) -> int:
    """Publish unsent messages and again those no worker started, oldest first; return
    how many were published.

    Rows are locked while they are published: on PostgreSQL a second sweeper skips
    them (SKIP LOCKED), on SQLite the IMMEDIATE transaction makes it wait. Stops at
    the first broker error, since the next message would fail the same way.
    """
    now = timezone.now()
    unsent = Q(enqueued_at__isnull=True) & (Q(attempts__gt=0) | Q(created_at__lt=now - SWEEP_GRACE))
    lost = Q(enqueued_at__lt=now - republish_after(), started_at__isnull=True)
    due = OutboxMessage.objects.filter(unsent | lost)
    if not due.exists():
        return 0  # the usual case: no lock taken (on SQLite, no write lock)
    published = 0
    with transaction.atomic():
        messages = list(
            due.order_by("created_at", "pk").select_for_update(skip_locked=True)[:batch_size]
        )
        for message in messages:
            if not publish(message, again=message.enqueued_at is not None):
                break
            published += 1
    if published:
        logger.info("Outbox sweep published %d message(s).", published)
    return published


def publish(message: OutboxMessage, *, again: bool = False) -> bool:
    """Send one message to the broker and mark it enqueued; False if the broker refused.

    ``again``: it was published before and never started; it is stamped anew, so the
    wait for a worker starts over.
    """
    task_id = f"outbox-{message.pk}-{message.attempts + 1}"
    try:
        _send(message.task_name, message.kwargs, task_id=task_id)
    except PUBLISH_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning(
            "Could not enqueue %s (outbox message %s); the sweep will retry. %s",
            message.task_name,
            message.pk,
            error,
        )
        OutboxMessage.objects.filter(pk=message.pk, enqueued_at__isnull=True).update(
            attempts=F("attempts") + 1, last_error=error
        )
        return False
    if again:
        logger.warning(
            "Outbox message %s (%s) was published at %s and no worker started it; published again.",
            message.pk,
            message.task_name,
            message.enqueued_at,
        )
        waiting = OutboxMessage.objects.filter(pk=message.pk, started_at__isnull=True)
    else:
        waiting = OutboxMessage.objects.filter(pk=message.pk, enqueued_at__isnull=True)
    waiting.update(attempts=F("attempts") + 1, enqueued_at=timezone.now())
    return True


def _send(task_name: str, kwargs: dict[str, Any], *, task_id: str) -> None:
    if app.conf.task_always_eager:
        # send_task ignores task_always_eager: run the registered task inline.
        _load_task_modules()
        app.tasks[task_name].apply_async(kwargs=kwargs, task_id=task_id)
    else:
        # By name: the web process need not import the task modules.
        app.send_task(task_name, kwargs=kwargs, task_id=task_id)


def mark_started(task_id: str | None) -> bool:
    """Stamp the outbox message a task was published from as started (once)."""
    match = TASK_ID.match(task_id or "")
    if match is None:
        return False  # beat's periodic tasks, and tasks run by hand
    changed = OutboxMessage.objects.filter(pk=int(match[1]), started_at__isnull=True).update(
        started_at=timezone.now()
    )
    return changed == 1


@task_prerun.connect(weak=False, dispatch_uid="readinggroup.outbox.mark_started")
def _on_task_prerun(task_id: str | None = None, **_: Any) -> None:
    # In the worker, before the task body. A database error here must not stop the
    # task: the message then looks unstarted and is published again (harmless).
    try:
        mark_started(task_id)
    except DatabaseError:
        logger.exception("Could not mark outbox task %s as started", task_id)


@cache
def _load_task_modules() -> None:
    # A worker imports the autodiscovered task modules at start-up; other processes
    # only when they first run a task eagerly.
    app.loader.import_default_modules()
