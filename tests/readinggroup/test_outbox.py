"""The outbox: tasks enqueued after commit, kept when the broker refuses, swept later.

Messages go to a real embedded (filesystem) broker in a folder of the test's own and are
read back from it; "Redis down" is a real connection to a loopback port nobody listens on.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery.signals import task_postrun
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from readinggroup import outbox
from readinggroup.celery import app
from readinggroup.models import OutboxMessage
from readinggroup.outbox import enqueue
from tests.integration.harness import (
    filesystem_broker_options,
    free_port,
    queued_messages,
    queued_task_ids,
    use_broker,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Path]:
    """An embedded broker of this test's own; yields its folder."""
    folder = tmp_path / "celery-broker"
    folder.mkdir()
    with use_broker("filesystem://localhost/", filesystem_broker_options(folder)):
        yield folder


@pytest.fixture
def redis_down() -> Iterator[str]:
    """The production Redis settings, aimed at a port nobody listens on."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    with use_broker(url, settings.REDIS_BROKER_TRANSPORT_OPTIONS):
        yield url


@pytest.fixture
def eager() -> Iterator[list[tuple[str, dict]]]:
    """CELERY_TASK_ALWAYS_EAGER on; yields (task name, kwargs) of each task run inline."""
    ran: list[tuple[str, dict]] = []

    def record(sender, kwargs, **_):
        ran.append((sender.name, kwargs))

    task_postrun.connect(record, weak=False)
    app.conf.task_always_eager = True
    try:
        yield ran
    finally:
        app.conf.task_always_eager = False
        task_postrun.disconnect(record)


def refused(task_name: str, *, ago: dt.timedelta, **kwargs) -> OutboxMessage:
    """A message whose publish failed ``ago``."""
    message = OutboxMessage.objects.create(
        task_name=task_name, kwargs=kwargs, attempts=1, last_error="OperationalError: refused"
    )
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - ago)
    return message


# --- enqueue -------------------------------------------------------------------------


def test_enqueue_publishes_after_commit_and_marks_message_enqueued(
    broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = enqueue("notifications.send", notification_id=7)
        assert queued_messages(broker) == []  # nothing before the commit
        assert OutboxMessage.objects.get(pk=message.pk).enqueued_at is None

    assert len(callbacks) == 1
    assert queued_messages(broker) == [("notifications.send", {"notification_id": 7})]
    assert queued_task_ids(broker) == [f"outbox-{message.pk}-1"]
    message.refresh_from_db()
    assert message.enqueued_at is not None
    assert message.started_at is None  # published, not yet delivered
    assert (message.attempts, message.last_error) == (1, "")


def test_enqueue_rolled_back_leaves_no_row_and_no_message(
    broker, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue("notifications.send", notification_id=7)
        raise RuntimeError("the view failed")

    assert callbacks == []
    assert OutboxMessage.objects.count() == 0
    assert queued_messages(broker) == []


def test_enqueue_with_redis_down_returns_at_once_and_keeps_message(
    redis_down, django_capture_on_commit_callbacks, caplog
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue("notifications.send", notification_id=7)
    elapsed = time.monotonic() - started

    assert elapsed < 1
    message.refresh_from_db()
    assert message.enqueued_at is None
    assert message.attempts == 1
    assert message.last_error.startswith("OperationalError: ")
    assert "Connection refused" in message.last_error
    warning = next(r for r in caplog.records if r.name == "readinggroup.outbox")
    assert warning.levelno == logging.WARNING
    assert f"Could not enqueue notifications.send (outbox message {message.pk})" in (
        warning.getMessage()
    )


def test_enqueue_with_eager_tasks_runs_task_inline(
    eager, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue("outbox.sweep")

    assert eager == [("outbox.sweep", {})]
    assert queued_messages(broker) == []
    message.refresh_from_db()
    assert message.enqueued_at is not None
    assert message.started_at is not None  # the task ran, and said so first


def test_publish_keeps_first_enqueued_time(broker):
    first = timezone.now() - dt.timedelta(minutes=5)
    message = OutboxMessage.objects.create(task_name="outbox.sweep", enqueued_at=first)

    assert outbox.publish(message) is True

    message.refresh_from_db()
    assert message.enqueued_at == first


# --- sweep ---------------------------------------------------------------------------


def test_sweep_publishes_refused_messages_oldest_first(broker):
    newer = refused("notifications.send", ago=dt.timedelta(seconds=5), notification_id=2)
    older = refused("notifications.send", ago=dt.timedelta(minutes=5), notification_id=1)

    assert outbox.sweep() == 2

    # The filesystem broker names messages by the millisecond, so two published within
    # one millisecond are queued in no set order: the publishing order is read from
    # the outbox, which stamps each message as it is published.
    assert sorted(queued_messages(broker), key=lambda m: m[1]["notification_id"]) == [
        ("notifications.send", {"notification_id": 1}),
        ("notifications.send", {"notification_id": 2}),
    ]
    for message in (older, newer):
        message.refresh_from_db()
        assert message.attempts == 2
    assert older.enqueued_at < newer.enqueued_at


def test_sweep_leaves_fresh_untried_message_to_its_own_commit(broker):
    fresh = OutboxMessage.objects.create(task_name="notifications.send", kwargs={"x": 1})
    lost = OutboxMessage.objects.create(task_name="notifications.send", kwargs={"x": 2})
    # The process that wrote this one died before publishing it.
    OutboxMessage.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - outbox.SWEEP_GRACE - dt.timedelta(seconds=1)
    )

    assert outbox.sweep() == 1

    assert queued_messages(broker) == [("notifications.send", {"x": 2})]
    fresh.refresh_from_db()
    assert fresh.enqueued_at is None


def test_sweep_skips_messages_started_or_published_within_the_visibility_timeout(broker):
    now = timezone.now()
    OutboxMessage.objects.create(task_name="notifications.send", attempts=1, enqueued_at=now)
    OutboxMessage.objects.create(
        task_name="notifications.send",
        attempts=1,
        enqueued_at=now - dt.timedelta(hours=2),
        started_at=now - dt.timedelta(hours=2),
    )
    OutboxMessage.objects.create(
        task_name="notifications.send",
        attempts=1,
        enqueued_at=now - outbox.republish_after() + dt.timedelta(seconds=5),
    )

    assert outbox.sweep() == 0
    assert queued_messages(broker) == []


def test_sweep_publishes_again_a_message_no_worker_started(broker, caplog):
    """Published, then lost (Redis restarted without its data, say): after the
    visibility timeout, the sweep publishes it again, under a new task id."""
    published = timezone.now() - outbox.republish_after() - dt.timedelta(seconds=1)
    lost = OutboxMessage.objects.create(
        task_name="notifications.send",
        kwargs={"notification_id": 4},
        attempts=1,
        enqueued_at=published,
    )

    assert outbox.sweep() == 1

    assert queued_messages(broker) == [("notifications.send", {"notification_id": 4})]
    assert queued_task_ids(broker) == [f"outbox-{lost.pk}-2"]
    lost.refresh_from_db()
    assert (lost.attempts, lost.started_at) == (2, None)
    assert lost.enqueued_at > published + outbox.republish_after()  # the wait starts over
    assert f"Outbox message {lost.pk} (notifications.send) was published at" in caplog.text
    assert outbox.sweep() == 0


def test_started_task_marks_its_outbox_message_delivered(broker):
    message = OutboxMessage.objects.create(
        task_name="outbox.sweep", attempts=1, enqueued_at=timezone.now()
    )
    app.loader.import_default_modules()

    app.tasks["outbox.sweep"].apply(task_id=f"outbox-{message.pk}-1")

    message.refresh_from_db()
    started = message.started_at
    assert started is not None
    # A second run (a duplicate) keeps the first start; other task ids change nothing.
    app.tasks["outbox.sweep"].apply(task_id=f"outbox-{message.pk}-2")
    app.tasks["outbox.sweep"].apply(task_id="4b1c0a4e-beat")
    message.refresh_from_db()
    assert message.started_at == started
    assert outbox.mark_started("outbox-999-1") is False
    assert outbox.mark_started(None) is False


def test_sweep_with_nothing_due_runs_one_query(broker, django_assert_num_queries):
    OutboxMessage.objects.create(task_name="notifications.send")  # fresh, not yet due
    OutboxMessage.objects.create(  # published a moment ago, waiting for a worker
        task_name="notifications.send", attempts=1, enqueued_at=timezone.now()
    )

    with django_assert_num_queries(1):
        assert outbox.sweep() == 0


def test_sweep_publishes_one_batch(broker):
    for n in range(3):
        refused("notifications.send", ago=dt.timedelta(minutes=3 - n), notification_id=n)

    assert outbox.sweep(batch_size=2) == 2

    # The two oldest (the broker's order within a millisecond is not set: see above).
    assert sorted(kwargs["notification_id"] for _, kwargs in queued_messages(broker)) == [0, 1]
    assert OutboxMessage.objects.filter(enqueued_at__isnull=True).count() == 1


def test_sweep_with_redis_down_stops_at_first_refusal(redis_down):
    first = refused("notifications.send", ago=dt.timedelta(minutes=2), notification_id=1)
    second = refused("notifications.send", ago=dt.timedelta(minutes=1), notification_id=2)

    started = time.monotonic()
    assert outbox.sweep() == 0
    assert time.monotonic() - started < 1

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.enqueued_at, first.attempts) == (None, 2)
    assert "Connection refused" in first.last_error
    assert (second.enqueued_at, second.attempts) == (None, 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_sweep_skips_messages_another_sweeper_holds(broker):
    held = refused("notifications.send", ago=dt.timedelta(minutes=2), notification_id=1)
    refused("notifications.send", ago=dt.timedelta(minutes=1), notification_id=2)
    locked, release = threading.Event(), threading.Event()

    def other_sweeper() -> None:
        try:
            with transaction.atomic():
                list(OutboxMessage.objects.select_for_update().filter(pk=held.pk))
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_sweeper)
    thread.start()
    assert locked.wait(10)
    try:
        assert outbox.sweep() == 1
    finally:
        release.set()
        thread.join()

    assert queued_messages(broker) == [("notifications.send", {"notification_id": 2})]
    held.refresh_from_db()
    assert held.enqueued_at is None


def test_sweep_task_is_registered_and_runs_the_sweep(broker):
    refused("notifications.send", ago=dt.timedelta(minutes=1), notification_id=3)
    app.loader.import_default_modules()

    result = app.tasks["outbox.sweep"].apply()

    assert result.get() == 1
    assert queued_messages(broker) == [("notifications.send", {"notification_id": 3})]


# --- configuration ---------------------------------------------------------------------


def test_celery_beat_schedule_runs_tick_every_five_minutes_sweep_and_recovery_every_30_s():
    schedule = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}

    assert sorted(schedule) == [
        "notifications.recover",
        "notifications.tick",
        "outbox.sweep",
        "papers.search_duplicates",
    ]
    assert schedule["notifications.tick"]["schedule"].minute == set(range(0, 60, 5))
    assert schedule["outbox.sweep"]["schedule"] == 30.0
    assert schedule["notifications.recover"]["schedule"] == 30.0
    # A safety net for a search message lost with a worker; the import enqueues its own.
    assert schedule["papers.search_duplicates"]["schedule"].minute == set(range(0, 60, 10))
    assert app.conf.beat_schedule_filename == str(settings.VAR_DIR / "celerybeat-schedule")


def test_celery_discovers_every_task_the_schedule_and_outbox_name():
    app.loader.import_default_modules()

    for name in (
        "outbox.sweep",
        "notifications.tick",
        "notifications.recover",
        "notifications.send",
        "notifications.send_digest_now",
        "papers.search_duplicates",
    ):
        assert name in app.tasks


def test_celery_worker_settings_redeliver_tasks_of_a_lost_worker():
    conf = app.conf
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost) == (True, True)
    # A send in flight when Redis drops goes on and records itself sent.
    assert conf.worker_cancel_long_running_tasks_on_connection_loss is False
    assert conf.broker_connection_max_retries is None  # a long Redis outage stops no worker
    assert conf.worker_prefetch_multiplier == 1
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (50, 60)
    # Redis redelivers an unacknowledged task, and the outbox republishes an unstarted
    # one, after the time limit: never while it may still be running.
    assert settings.REDIS_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == 60
    assert settings.READINGGROUP_VISIBILITY_TIMEOUT == 60
    assert outbox.republish_after() == dt.timedelta(seconds=60)
    assert conf.result_backend is None
    assert conf.task_publish_retry_policy["max_retries"] == 1
    assert conf.broker_connection_timeout == 1
