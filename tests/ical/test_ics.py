"""session_calendar(): the iCalendar text itself, parsed back with icalendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from readinggroup.ical.ics import feed_sessions, for_calendar, session_calendar
from readinggroup.models import Session
from readinggroup.schedule import scheduling
from tests.factories import PaperFactory
from tests.ical.conftest import events, parse

pytestmark = pytest.mark.django_db

BASE = "https://rg.example.org/"


def test_session_calendar_properties_name_the_calendar_and_zone(upcoming_session) -> None:
    cal = parse(session_calendar(for_calendar(), name="Systems group"))
    assert str(cal["prodid"]) == "-//readinggroup//Reading group sessions//EN"
    assert str(cal["version"]) == "2.0"
    assert str(cal["calscale"]) == "GREGORIAN"
    assert str(cal["method"]) == "PUBLISH"
    assert str(cal["x-wr-calname"]) == "Systems group"
    assert str(cal["x-wr-timezone"]) == "Europe/London"


def test_session_event_fields_for_a_full_session(upcoming_session, member) -> None:
    event = events(session_calendar(for_calendar(), base_url=BASE))["Systems week"]
    starts = upcoming_session.starts_at.astimezone(dt.UTC)
    assert str(event["uid"]) == f"session-{upcoming_session.pk}@rg.example.org"
    assert event.decoded("dtstart") == starts
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(0)
    assert event.decoded("dtend") == starts + dt.timedelta(minutes=90)
    assert event["dtstart"].to_ical().decode().endswith("Z")
    assert event.decoded("dtstamp") <= timezone.now()
    assert str(event["location"]) == "Room 4.12"
    assert str(event["url"]) == f"https://rg.example.org/sessions/{upcoming_session.pk}/"
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["description"]).splitlines() == [
        "Presentations:",
        "1. Mira Member: Attention Is All You Need",
        "2. Open slot",
        "Video: https://meet.example.org/rg",
        f"Session page: https://rg.example.org/sessions/{upcoming_session.pk}/",
    ]
    assert event.walk("VALARM") == []


def test_session_event_local_time_becomes_utc_across_summer_time(organizer) -> None:
    london = ZoneInfo("Europe/London")
    for local in (dt.datetime(2031, 1, 9, 16, 0), dt.datetime(2031, 7, 10, 16, 0)):
        scheduling.create_session(
            by=organizer, starts_at=local.replace(tzinfo=london), slot_count=1
        )
    starts = [e.decoded("dtstart") for e in parse(session_calendar(for_calendar())).walk("VEVENT")]
    assert starts == [
        dt.datetime(2031, 1, 9, 16, 0, tzinfo=dt.UTC),
        dt.datetime(2031, 7, 10, 15, 0, tzinfo=dt.UTC),
    ]


def test_session_event_untitled_without_place_falls_back(organizer) -> None:
    session = scheduling.create_session(
        by=organizer,
        starts_at=timezone.now() + dt.timedelta(days=2),
        slot_count=1,
        video_url="https://meet.example.org/x",
    )
    (event,) = parse(session_calendar(for_calendar())).walk("VEVENT")
    assert str(event["summary"]) == "Reading group"
    assert str(event["location"]) == "https://meet.example.org/x"
    assert str(event["uid"]) == f"session-{session.pk}@readinggroup"
    assert "url" not in event
    assert "Session page" not in str(event["description"])


def test_session_event_text_with_commas_and_semicolons_round_trips(organizer) -> None:
    # Titles hold one line (the database refuses line breaks); the description's
    # line breaks round-trip in the tests above.
    scheduling.create_session(
        by=organizer,
        starts_at=timezone.now() + dt.timedelta(days=2),
        slot_count=1,
        title="Graphs; trees, and lists",
        place="Room 4, building B; floor 2",
    )
    event = events(session_calendar(for_calendar()))["Graphs; trees, and lists"]
    assert str(event["location"]) == "Room 4, building B; floor 2"


def test_session_event_scribe_and_theme_in_description(upcoming_session, other_member) -> None:
    scheduling.volunteer_scribe(session=upcoming_session, user=other_member)
    event = events(session_calendar(for_calendar()))["Systems week"]
    assert "Scribe: Otto Other" in str(event["description"]).splitlines()


def test_cancelled_session_is_marked_cancelled_without_alarm(upcoming_session) -> None:
    before = events(session_calendar(for_calendar(), alarm_minutes=10))["Systems week"]
    scheduling.cancel_session(session=upcoming_session)
    after = events(session_calendar(for_calendar(), alarm_minutes=10))["Systems week"]
    assert str(before["status"]) == "CONFIRMED"
    assert str(after["status"]) == "CANCELLED"
    assert str(after["description"]).startswith("This session is cancelled.")
    assert int(after["sequence"]) > int(before["sequence"])
    assert len(before.walk("VALARM")) == 1
    assert after.walk("VALARM") == []
    assert str(after["uid"]) == str(before["uid"])


def test_sequence_increases_when_the_session_is_edited(upcoming_session) -> None:
    two_hours_ago = timezone.now() - dt.timedelta(hours=2)
    Session.objects.filter(pk=upcoming_session.pk).update(
        created_at=two_hours_ago, updated_at=two_hours_ago
    )
    before = events(session_calendar(for_calendar()))["Systems week"]
    scheduling.update_session(
        session=upcoming_session, slot_count=2, place="Room 9", title="Systems week"
    )
    after = events(session_calendar(for_calendar()))["Systems week"]
    assert int(before["sequence"]) == 0
    assert int(after["sequence"]) >= 7200
    assert str(after["location"]) == "Room 9"


def test_claiming_a_slot_raises_the_sequence_and_last_modified(upcoming_session, other_member):
    two_hours_ago = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    Session.objects.filter(pk=upcoming_session.pk).update(
        created_at=two_hours_ago, updated_at=two_hours_ago
    )
    before = events(session_calendar(for_calendar()))["Systems week"]
    open_slot = upcoming_session.slots.get(position=2)
    scheduling.claim_slot(slot=open_slot, user=other_member, paper=PaperFactory(title="Raft"))
    after = events(session_calendar(for_calendar()))["Systems week"]
    assert int(before["sequence"]) == 0
    assert int(after["sequence"]) >= 7200
    assert after.decoded("last-modified") > before.decoded("last-modified")
    assert "2. Otto Other: Raft" in str(after["description"]).splitlines()


def test_alarm_when_minutes_given(upcoming_session) -> None:
    event = events(session_calendar(for_calendar(), alarm_minutes=15))["Systems week"]
    (alarm,) = event.walk("VALARM")
    assert str(alarm["action"]) == "DISPLAY"
    assert alarm.decoded("trigger") == -dt.timedelta(minutes=15)
    assert alarm["trigger"].to_ical().decode() == "-PT15M"
    assert str(alarm["description"]) == "Systems week starts soon"


def test_feed_sessions_window_is_recent_and_future_cancelled_included(organizer) -> None:
    now = timezone.now()
    for days, title in [(-100, "Too old"), (-80, "Recent"), (5, "Soon"), (400, "Next year")]:
        scheduling.create_session(
            by=organizer, starts_at=now + dt.timedelta(days=days), slot_count=1, title=title
        )
    cancelled = scheduling.create_session(
        by=organizer, starts_at=now + dt.timedelta(days=6), slot_count=1, title="Called off"
    )
    scheduling.cancel_session(session=cancelled)
    titles = [s.title for s in feed_sessions()]
    assert titles == ["Recent", "Soon", "Called off", "Next year"]


def test_session_calendar_runs_no_queries_on_prefetched_sessions(
    organizer, django_assert_num_queries
) -> None:
    from tests.ical.conftest import make_sessions

    make_sessions(organizer, 3)
    with django_assert_num_queries(2):
        sessions = list(feed_sessions())
    with django_assert_num_queries(0):
        session_calendar(sessions, alarm_minutes=5)
