"""Invites, made as organizers make them (only the token's hash is stored), and the
emails the throttles count."""

from __future__ import annotations

import factory

from readinggroup.members.actions import create_invite
from readinggroup.models import EmailKind, Invite, Role, ThrottledEmail

from .users import OrganizerFactory


class InviteFactory(factory.django.DjangoModelFactory):
    """An invite; its one-time token is on ``invite.token`` (the link's secret)."""

    class Meta:
        model = Invite

    created_by = factory.SubFactory(OrganizerFactory)
    role = Role.MEMBER
    email = factory.Sequence(lambda n: f"newcomer{n}@example.org")

    @classmethod
    def _create(cls, model_class, *, created_by, role, email, days=7):
        invite, token = create_invite(by=created_by, role=role, email=email, days=days)
        invite.token = token
        return invite


class ThrottledEmailFactory(factory.django.DjangoModelFactory):
    """An email someone asked for, as the throttles count it (address in lower case)."""

    class Meta:
        model = ThrottledEmail

    kind = EmailKind.PASSWORD_RESET
    address = factory.Sequence(lambda n: f"asked{n}@example.org")
    client = "192.0.2.10"
