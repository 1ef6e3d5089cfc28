"""The group's notification settings, notifications and outbox messages."""

from __future__ import annotations

import factory

from readinggroup.models import (
    Channel,
    GroupSettings,
    Notification,
    NotificationKind,
    OutboxMessage,
)

from .users import UserFactory


class GroupSettingsFactory(factory.django.DjangoModelFactory):
    """The single settings row (pk=1, a constraint)."""

    class Meta:
        model = GroupSettings
        django_get_or_create = ("pk",)

    pk = 1


class NotificationFactory(factory.django.DjangoModelFactory):
    """A claimed, still pending notification: one message to one member."""

    class Meta:
        model = Notification

    kind = NotificationKind.DIGEST
    channel = Channel.EMAIL
    scope = factory.Sequence(lambda n: f"week:2030-W{n % 52 + 1:02d}-{n}")
    recipient = factory.SubFactory(UserFactory)
    subject = "This week in the reading group"


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboxMessage

    task_name = "outbox.sweep"
    kwargs = factory.LazyFunction(dict)
