from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from readinggroup.models import Session, User
from readinggroup.schedule import scheduling
from tests.factories import PaperFactory, UserFactory

SITE = "https://reading.example.org"


@pytest.fixture(autouse=True)
def site_url(settings) -> str:
    """The public address links and UIDs are made from (never the request's Host)."""
    settings.READINGGROUP_SITE_URL = SITE
    return SITE


@pytest.fixture
def upcoming_session(organizer: User, member: User) -> Session:
    """Next week, two slots: Mira presents a paper, the second slot is open."""
    session = scheduling.create_session(
        by=organizer,
        starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(days=7),
        slot_count=2,
        title="Systems week",
        place="Room 4.12",
        video_url="https://meet.example.org/rg",
        duration_minutes=90,
    )
    paper = PaperFactory(title="Attention Is All You Need")
    scheduling.claim_slot(slot=session.slots.get(position=1), user=member, paper=paper)
    return session


def make_sessions(organizer: User, count: int, *, slots: int = 3, days_from_now: int = 3) -> None:
    """``count`` future sessions with every slot presented, each by a different member."""
    for i in range(count):
        session = scheduling.create_session(
            by=organizer,
            starts_at=timezone.now() + dt.timedelta(days=days_from_now + i),
            slot_count=slots,
            title=f"Bulk {i}",
            place="Room 1",
        )
        for slot in session.slots.all():
            presenter = UserFactory()
            scheduling.claim_slot(slot=slot, user=presenter, paper=PaperFactory())
        session.scribe = presenter
        session.save()


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def events(body: bytes) -> dict[str, object]:
    """The feed's events by SUMMARY."""
    return {str(e["summary"]): e for e in parse(body).walk("VEVENT")}
