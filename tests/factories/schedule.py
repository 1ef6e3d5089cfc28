"""Sessions, series and slots, made through the domain functions that keep their
invariants: ``create_session`` makes a session's slots, never a factory behind its back."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from readinggroup.models import Series, Session, Slot, User
from readinggroup.schedule import scheduling

from .papers import PaperFactory
from .users import OrganizerFactory


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series

    title = factory.Sequence(lambda n: f"Term {n}")
    created_by = factory.SubFactory(OrganizerFactory)


class SessionFactory(factory.django.DjangoModelFactory):
    """A session a week ahead with ``slot_count`` open slots (``scheduling.create_session``).

    ``presenters=[member, None, ...]`` fills slots in order, each with a new paper: by a
    claim for a session ahead, and for a past one as the history it would have left
    (the claim closes when a session starts)."""

    class Meta:
        model = Session

    created_by = factory.SubFactory(OrganizerFactory)
    starts_at = factory.LazyFunction(
        lambda: timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=7)
    )
    slot_count = 2
    title = factory.Sequence(lambda n: f"Session {n}")

    @classmethod
    def _create(cls, model_class, *, created_by, presenters=(), **kwargs):
        session = scheduling.create_session(by=created_by, **kwargs)
        for slot, presenter in zip(session.slots.order_by("position"), presenters, strict=False):
            if presenter is not None:
                present(slot, presenter)
        return session


def present(slot: Slot, presenter: User, paper=None) -> Slot:
    """``presenter`` presents ``paper`` (a new one by default) in ``slot``."""
    paper = paper or PaperFactory()
    if slot.session.starts_at > timezone.now():
        scheduling.claim_slot(slot=slot, user=presenter, paper=paper)
    else:
        Slot.objects.filter(pk=slot.pk).update(presenter=presenter, paper=paper)
    slot.refresh_from_db()
    return slot


class SlotFactory(factory.django.DjangoModelFactory):
    """The first slot of a new one-slot session (``SessionFactory``), open unless a
    ``presenter`` is given."""

    class Meta:
        model = Slot

    session = factory.SubFactory(SessionFactory, slot_count=1)

    @classmethod
    def _create(cls, model_class, *, session, presenter=None, paper=None, **kwargs):
        slot = session.slots.order_by("position").first()
        return present(slot, presenter, paper) if presenter is not None else slot
