from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from readinggroup import scheduling
from readinggroup.models import Session, User
from tests.factories import PaperFactory


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
