"""Invites, made as organizers make them (only the token's hash is stored)."""

from __future__ import annotations

import factory

from readinggroup.members.actions import create_invite
from readinggroup.models import Invite, Role

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
