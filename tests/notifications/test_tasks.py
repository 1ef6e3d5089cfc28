"""The task names and signatures infra schedules and enqueues, run eagerly."""

from __future__ import annotations

import pytest
from django.core import mail

from readinggroup.celery import app
from readinggroup.models import Notification, OutboxMessage
from readinggroup.notifications import tasks

from .conftest import london, make_session, present, run_outbox

pytestmark = pytest.mark.django_db


def test_tasks_are_registered_under_their_names() -> None:
    app.loader.import_default_modules()
    for name in ("notifications.tick", "notifications.send", "notifications.send_digest_now"):
        assert app.tasks[name].run.__module__ == "readinggroup.notifications.tasks"
    assert (tasks.tick.name, tasks.send.name, tasks.send_digest_now.name) == (
        "notifications.tick",
        "notifications.send",
        "notifications.send_digest_now",
    )


def test_tick_task_claims_and_enqueues_through_the_outbox(clock, organizer, member, group) -> None:
    clock.to(london(2026, 3, 2, 12))
    session = make_session(organizer, london(2026, 3, 12, 16))
    present(session, member)
    clock.to(london(2026, 3, 11, 9, 0))
    assert tasks.tick.apply().result == {"claimed": 3, "dropped": 0, "already": 0, "requeued": 0}
    assert tasks.tick.apply().result == {"claimed": 0, "dropped": 0, "already": 3, "requeued": 0}
    assert sorted(OutboxMessage.objects.values_list("kwargs", flat=True), key=str) == sorted(
        ({"notification_id": pk} for pk in Notification.objects.values_list("pk", flat=True)),
        key=str,
    )
    assert run_outbox() == ["sent", "sent", "sent"]
    assert len(mail.outbox) == 3


def test_send_task_for_a_missing_notification_does_nothing() -> None:
    assert tasks.send.apply(kwargs={"notification_id": 999}).result == "done already"


def test_send_digest_now_task_claims_for_weekly_members(member, other_member) -> None:
    result = tasks.send_digest_now.apply(kwargs={"token": "20260309T090000000000Z"}).result
    assert result == 2
    assert set(Notification.objects.values_list("scope", flat=True)) == {
        "manual:20260309T090000000000Z"
    }
