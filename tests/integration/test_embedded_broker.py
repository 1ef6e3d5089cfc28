"""The embedded default: a worker in another process consumes what this process enqueues,
through kombu's filesystem transport and a shared database, with no server installed."""

from __future__ import annotations

from django.db import transaction

from readinggroup.models import OutboxMessage
from readinggroup.outbox import enqueue

from .harness import queued_messages, wait_until


def test_worker_on_embedded_broker_runs_task_enqueued_by_this_process(
    transactional_db, embedded_broker, start_worker
):
    # A message the broker refused earlier: the worker's outbox.sweep publishes it.
    refused = OutboxMessage.objects.create(
        task_name="outbox.sweep", attempts=1, last_error="OperationalError: refused"
    )
    start_worker("embedded1")

    with transaction.atomic():  # as in a view
        message = enqueue("outbox.sweep")

    message.refresh_from_db()
    assert message.enqueued_at is not None
    refused_sent = wait_until(
        lambda: OutboxMessage.objects.filter(pk=refused.pk, enqueued_at__isnull=False).first(),
        timeout=20,
        what="the worker's sweep to publish the refused message",
    )
    assert refused_sent.attempts == 2
    # The worker consumes the message its own sweep published too: nothing is left.
    wait_until(lambda: not queued_messages(embedded_broker), timeout=10, what="an empty queue")


def test_two_workers_on_embedded_broker_run_each_message_once(
    transactional_db, embedded_broker, start_worker
):
    first, second = start_worker("embedded1"), start_worker("embedded2")

    with transaction.atomic():
        for _ in range(12):
            enqueue("outbox.sweep")

    def runs() -> list[str]:
        return first.succeeded("outbox.sweep") + second.succeeded("outbox.sweep")

    wait_until(lambda: len(runs()) >= 12, timeout=30, what="12 tasks to run")
    wait_until(lambda: not queued_messages(embedded_broker), timeout=10, what="an empty queue")
    assert len(runs()) == 12
    assert len(set(runs())) == 12
    assert OutboxMessage.objects.filter(enqueued_at__isnull=True).count() == 0
