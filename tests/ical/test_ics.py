from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from readinggroup.ical.ics import for_calendar, session_calendar

pytestmark = pytest.mark.django_db


def test_session_calendar_smoke(upcoming_session) -> None:
    body = session_calendar(for_calendar(), alarm_minutes=15, base_url="https://rg.example.org/")
    print(body.decode())
    cal = Calendar.from_ical(body)
    (event,) = cal.walk("VEVENT")
    assert event.decoded("dtstart") == upcoming_session.starts_at.astimezone(dt.UTC)
