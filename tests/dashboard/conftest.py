from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from readinggroup.models import Session, SessionStatus, Slot, User
from readinggroup.schedule import scheduling
from tests.factories import ListingFactory, PaperFactory, TopicFactory, UserFactory


def days(n: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=n)


def new_session(organizer: User, when: dt.datetime, *, slots: int = 2, **fields) -> Session:
    return scheduling.create_session(by=organizer, starts_at=when, slot_count=slots, **fields)


def present(slot: Slot, user: User, paper=None) -> Slot:
    """Put ``user`` in ``slot`` with a paper, confirmed, whether the session is past or not."""
    paper = paper or PaperFactory()
    now = timezone.now()
    Slot.objects.filter(pk=slot.pk).update(
        presenter=user, paper=paper, assigned_by=user, assigned_at=now, confirmed_at=now
    )
    slot.refresh_from_db()
    return slot


def held_session(organizer: User, days_ago: float, presenters: list[User], papers=None) -> Session:
    """A past session (created as past) where ``presenters`` presented ``papers``."""
    session = new_session(organizer, days(-days_ago), slots=len(presenters))
    papers = papers or [PaperFactory() for _ in presenters]
    slots = session.slots.order_by("position")
    for slot, user, paper in zip(slots, presenters, papers, strict=True):
        present(slot, user, paper)
    return session


@pytest.fixture
def busy_group(organizer: User, member: User, other_member: User):
    """A little of everything, for the query-count tests; call it again to grow the data."""

    def grow(n: int) -> None:
        from readinggroup.models import Unavailability, WantToRead
        from readinggroup.notes.actions import post_note

        for i in range(n):
            topic = TopicFactory()
            papers = [ListingFactory(topic=topic).paper for _ in range(3)]
            someone = UserFactory()
            held_session(organizer, 10 + i, [someone, member], papers[:2])
            ahead = new_session(organizer, days(3 + i), slots=3, title=f"Ahead {i}")
            present(ahead.slots.get(position=1), member)
            Slot.objects.filter(session=ahead, position=1).update(confirmed_at=None)
            ahead.scribe = member
            ahead.save()
            cancelled = new_session(organizer, days(20 + i))
            Session.objects.filter(pk=cancelled.pk).update(status=SessionStatus.CANCELLED)
            WantToRead.objects.create(user=someone, paper=papers[2])
            WantToRead.objects.get_or_create(user=member, paper=papers[2])
            Unavailability.objects.get_or_create(user=member, date=timezone.localdate(days(40 + i)))
            post_note(author=someone, paper=papers[0], body=f"Note {i} on *this*")

    return grow
