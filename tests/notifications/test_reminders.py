"""Presenter reminders, slides and confirmation nudges, session reminders, organizer alerts:
who gets them, when (in the group's time zone, across DST), and what they say."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from icalendar import Calendar

from readinggroup.models import Notification, NotificationKind, NotificationStatus, Unavailability
from readinggroup.notifications import claiming
from readinggroup.schedule import scheduling
from tests.factories import UserFactory

from .conftest import SITE, london, make_session, present, run_outbox

pytestmark = pytest.mark.django_db

K = NotificationKind


def tick(clock, now: dt.datetime) -> claiming.TickResult:
    """Move the clock to ``now``, tick, and let the worker send what was claimed."""
    clock.to(now)
    result = claiming.tick(now=now)
    run_outbox()
    return result


def sent(kind: str) -> list[str]:
    rows = Notification.objects.filter(kind=kind, status=NotificationStatus.SENT, channel="email")
    return sorted(rows.values_list("recipient__username", flat=True))


def mails(kind_subject: str) -> list:
    return [m for m in mail.outbox if m.subject.startswith(kind_subject)]


@pytest.fixture
def thursday(clock, organizer, member, other_member, group):
    """Thursday 12 March 2026 at 16:00 (GMT), Mira presenting in slot 1, slot 2 open."""
    clock.to(london(2026, 3, 2, 12))
    session = make_session(
        organizer,
        london(2026, 3, 12, 16),
        place="Room 4.12",
        video_url="https://meet.example.org/rg",
    )
    present(session, member, title="Attention Is All You Need")
    session.slots.filter(position=1).update(slides_url="")
    return session


# --- Presenter reminder ----------------------------------------------------------------


def test_presenter_reminder_due_reminder_days_before_at_reminder_hour(
    clock, thursday, member
) -> None:
    tick(clock, london(2026, 3, 9, 8, 55))
    assert sent(K.PRESENTER_REMINDER) == []
    tick(clock, london(2026, 3, 9, 9, 0))
    assert sent(K.PRESENTER_REMINDER) == ["mira"]
    tick(clock, london(2026, 3, 9, 9, 5))  # the next tick sends nothing more
    assert len(mails("Reminder: you present")) == 1


def test_presenter_reminder_follows_group_settings(clock, thursday, group) -> None:
    group.reminder_days, group.reminder_hour = 5, 14
    group.save()
    tick(clock, london(2026, 3, 7, 9, 0))
    tick(clock, london(2026, 3, 7, 13, 55))
    assert sent(K.PRESENTER_REMINDER) == []
    tick(clock, london(2026, 3, 7, 14, 0))
    assert sent(K.PRESENTER_REMINDER) == ["mira"]


def test_presenter_reminder_content(clock, thursday, member) -> None:
    paper = thursday.slots.get(position=1).paper
    paper.url = "https://arxiv.org/abs/1706.03762"
    paper.save()
    tick(clock, london(2026, 3, 9, 9, 0))
    [email] = mails("Reminder: you present")
    slot = thursday.slots.get(position=1)
    assert email.to == ["mira@example.org"]
    assert email.subject == "Reminder: you present on Thu 12 Mar, 16:00"
    assert "You present at the reading group on Thu 12 Mar, 16:00, Room 4.12." in email.body
    assert "Your paper: Attention Is All You Need" in email.body
    assert "Read it: https://arxiv.org/abs/1706.03762" in email.body
    assert f"In the catalogue: {SITE}/papers/{paper.pk}/" in email.body
    assert "You confirmed this presentation." in email.body
    slot_url = f"{SITE}/sessions/{thursday.pk}/#slot-{slot.pk}"
    assert f"Slides: not attached yet. Attach a link or a PDF: {slot_url}" in email.body
    assert "You get this email because you asked for reminders before you present." in email.body
    assert f"Stop reminders before you present: {SITE}/notifications/unsubscribe/" in email.body
    assert f"All your email preferences: {SITE}/profile/" in email.body
    html = email.alternatives[0][0]
    assert email.alternatives[0][1] == "text/html"
    assert f'href="{slot_url}"' in html
    assert "Attention Is All You Need" in html


def test_presenter_reminder_shows_unconfirmed_assignment(
    clock, thursday, organizer, other_member
) -> None:
    slot = thursday.slots.get(position=2)
    scheduling.assign_slot(slot=slot, by=organizer, presenter=other_member, paper=None)
    tick(clock, london(2026, 3, 9, 9, 0))
    [email] = [m for m in mails("Reminder: you present") if m.to == ["otto@example.org"]]
    assert "Your paper: not chosen yet, please pick one" in email.body
    slot_url = f"{SITE}/sessions/{thursday.pk}/#slot-{slot.pk}"
    assert f"Not confirmed yet: please confirm or decline: {slot_url}" in email.body


def test_presenter_reminder_respects_preference_and_active(clock, thursday, member) -> None:
    member.notify_presenting = False
    member.save()
    tick(clock, london(2026, 3, 9, 9, 0))
    assert sent(K.PRESENTER_REMINDER) == []
    assert not Notification.objects.filter(kind=K.PRESENTER_REMINDER).exists()


def test_presenter_reminder_preference_read_at_sending(clock, thursday, member) -> None:
    clock.to(london(2026, 3, 9, 9, 0))
    claiming.tick(now=london(2026, 3, 9, 9, 0))  # claimed while still wanted
    member.notify_presenting = False
    member.save()
    run_outbox()
    row = Notification.objects.get(kind=K.PRESENTER_REMINDER)
    assert row.status == NotificationStatus.DROPPED
    assert row.last_error == "recipient turned off reminders before you present"
    assert mails("Reminder: you present") == []


# --- Slides nudge ------------------------------------------------------------------------


def test_slides_nudge_day_before_only_while_slides_missing(
    clock, thursday, organizer, other_member
) -> None:
    present(thursday, other_member, position=2)
    thursday.slots.filter(position=2).update(slides_url="https://slides.example.org/otto")
    tick(clock, london(2026, 3, 11, 8, 59))
    assert sent(K.SLIDES_NUDGE) == []
    tick(clock, london(2026, 3, 11, 9, 0))
    assert sent(K.SLIDES_NUDGE) == ["mira"]
    [email] = mails("Your slides for")
    assert email.subject == "Your slides for Thu 12 Mar, 16:00, please"
    slot = thursday.slots.get(position=1)
    assert f"Attach slides: {SITE}/sessions/{thursday.pk}/#slot-{slot.pk}" in email.body


def test_slides_nudge_dropped_when_slides_arrive_before_sending(clock, thursday) -> None:
    clock.to(london(2026, 3, 11, 9, 0))
    claiming.tick(now=london(2026, 3, 11, 9, 0))
    thursday.slots.filter(position=1).update(slides_url="https://slides.example.org/mira")
    run_outbox()
    row = Notification.objects.get(kind=K.SLIDES_NUDGE)
    assert (row.status, row.last_error) == ("dropped", "slides already attached")


# --- Confirmation nudge ------------------------------------------------------------------


def test_confirm_nudge_two_days_after_unconfirmed_assignment(
    clock, thursday, organizer, other_member
) -> None:
    slot = thursday.slots.get(position=2)
    clock.to(london(2026, 3, 3, 10, 30))
    scheduling.assign_slot(slot=slot, by=organizer, presenter=other_member, paper=None)
    tick(clock, london(2026, 3, 5, 10, 25))
    assert sent(K.CONFIRM_NUDGE) == []
    tick(clock, london(2026, 3, 5, 10, 30))
    assert sent(K.CONFIRM_NUDGE) == ["otto"]
    [email] = mails("Please confirm")
    assert email.subject == "Please confirm: you present on Thu 12 Mar, 16:00"
    assert "Olga Organizer has put you down to present a paper on Thu 12 Mar, 16:00" in email.body
    assert f"Please confirm or decline: {SITE}/sessions/{thursday.pk}/#slot-{slot.pk}" in email.body


def test_confirm_nudge_not_for_self_claims_or_confirmed(
    clock, thursday, organizer, other_member
) -> None:
    # Mira claimed her slot herself (confirmed at once); Otto confirms his assignment.
    slot = thursday.slots.get(position=2)
    clock.to(london(2026, 3, 3, 10, 30))
    scheduling.assign_slot(slot=slot, by=organizer, presenter=other_member, paper=None)
    scheduling.confirm_slot(slot=slot, user=other_member)
    tick(clock, london(2026, 3, 5, 11, 0))
    assert sent(K.CONFIRM_NUDGE) == []


def test_confirm_nudge_reassignment_gets_its_own(clock, thursday, organizer, other_member) -> None:
    slot = thursday.slots.get(position=2)
    clock.to(london(2026, 3, 2, 13))
    scheduling.assign_slot(slot=slot, by=organizer, presenter=other_member, paper=None)
    tick(clock, london(2026, 3, 4, 13, 0))
    # Reassigned (to nobody, then Otto again): a new assignment, a new nudge two days later.
    clock.to(london(2026, 3, 4, 14))
    scheduling.assign_slot(slot=slot, by=organizer, presenter=None, paper=None)
    scheduling.assign_slot(slot=slot, by=organizer, presenter=other_member, paper=None)
    tick(clock, london(2026, 3, 5, 14, 0))
    assert len(mails("Please confirm")) == 1
    tick(clock, london(2026, 3, 6, 14, 0))
    assert len(mails("Please confirm")) == 2
    scopes = Notification.objects.filter(kind=K.CONFIRM_NUDGE).values_list("scope", flat=True)
    assert len(set(scopes)) == 2


def test_confirm_nudge_dropped_if_confirmed_before_sending(
    clock, thursday, organizer, other_member
) -> None:
    slot = thursday.slots.get(position=2)
    clock.to(london(2026, 3, 3, 10, 30))
    scheduling.assign_slot(slot=slot, by=organizer, presenter=other_member, paper=None)
    clock.to(london(2026, 3, 5, 10, 30))
    claiming.tick(now=london(2026, 3, 5, 10, 30))
    scheduling.confirm_slot(slot=slot, user=other_member)
    run_outbox()
    row = Notification.objects.get(kind=K.CONFIRM_NUDGE)
    assert (row.status, row.last_error) == ("dropped", "already confirmed")


# --- Session reminder --------------------------------------------------------------------


def test_session_reminder_day_before_to_every_member_who_wants_it(
    clock, thursday, organizer, member, other_member
) -> None:
    UserFactory(username="quiet", notify_sessions=False)
    UserFactory(username="gone", is_active=False)
    UserFactory(username="nomail", email="")
    tick(clock, london(2026, 3, 11, 8, 59))
    assert sent(K.SESSION_REMINDER) == []
    tick(clock, london(2026, 3, 11, 9, 0))
    assert sent(K.SESSION_REMINDER) == ["mira", "olga", "otto"]


def test_session_reminder_content_and_ics_with_alarm(clock, thursday, member) -> None:
    tick(clock, london(2026, 3, 11, 9, 0))
    [email] = [m for m in mails("Reminder: Systems") if m.to == ["mira@example.org"]]
    assert email.subject == "Reminder: Systems, Thu 12 Mar, 16:00"
    assert "The next reading group session is on Thu 12 Mar, 16:00." in email.body
    assert "Where: Room 4.12" in email.body
    assert "Video: https://meet.example.org/rg" in email.body
    assert "1. Mira Member: Attention Is All You Need" in email.body
    assert "2. Open slot" in email.body
    assert f"Session page: {SITE}/sessions/{thursday.pk}/" in email.body
    [(filename, content, mimetype)] = email.attachments
    assert (filename, mimetype) == ("session.ics", "text/calendar; method=PUBLISH")
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == london(2026, 3, 12, 16)
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("trigger") == -dt.timedelta(minutes=60)


def test_session_reminder_not_for_cancelled_session(clock, thursday) -> None:
    scheduling.cancel_session(session=thursday)
    tick(clock, london(2026, 3, 11, 9, 0))
    assert sent(K.SESSION_REMINDER) == []


def test_session_reminder_for_rescheduled_session_follows_new_date(clock, thursday) -> None:
    clock.to(london(2026, 3, 11, 9, 0))
    claiming.tick(now=london(2026, 3, 11, 9, 0))  # claimed for Thursday...
    scheduling.update_session(session=thursday, slot_count=2, starts_at=london(2026, 3, 19, 16))
    run_outbox()  # ...but it moved to the week after: not sent now
    reasons = Notification.objects.filter(kind=K.SESSION_REMINDER).values_list("last_error")
    assert set(reasons) == {("the session was rescheduled (reminders follow for its new date)",)}
    tick(clock, london(2026, 3, 18, 9, 0))
    assert sent(K.SESSION_REMINDER) == ["mira", "olga", "otto"]


# --- Organizer alert ---------------------------------------------------------------------


def test_organizer_alert_when_slots_open_three_days_out(
    clock, thursday, organizer, second_organizer
) -> None:
    tick(clock, london(2026, 3, 9, 9, 0))
    assert sent(K.ORGANIZER_ALERT) == ["olga", "omar"]
    email = mails("Open slots")[0]
    assert email.subject == "Open slots in the session on Thu 12 Mar, 16:00"
    assert "still has 1 open slot. Assign a presenter or lock the slot" in email.body
    assert "List-Unsubscribe" not in email.extra_headers  # follows the role, not a preference


def test_organizer_alert_not_when_every_slot_taken(clock, thursday, other_member) -> None:
    present(thursday, other_member, position=2)
    tick(clock, london(2026, 3, 9, 9, 0))
    assert sent(K.ORGANIZER_ALERT) == []


# --- Daylight saving time (UK) ------------------------------------------------------------


def test_reminders_at_nine_local_after_spring_switch(clock, organizer, member, group) -> None:
    """Clocks go forward on Sunday 29 March 2026: 09:00 BST is 08:00 UTC."""
    clock.to(london(2026, 3, 20, 12))
    session = make_session(organizer, london(2026, 3, 30, 16))  # Monday, BST
    present(session, member)
    utc = dt.UTC
    tick(clock, dt.datetime(2026, 3, 27, 8, 59, tzinfo=utc))  # Fri 08:59 GMT
    assert sent(K.PRESENTER_REMINDER) == []
    tick(clock, dt.datetime(2026, 3, 27, 9, 0, tzinfo=utc))  # Fri 09:00 GMT
    assert sent(K.PRESENTER_REMINDER) == ["mira"]
    tick(clock, dt.datetime(2026, 3, 29, 7, 59, tzinfo=utc))  # Sun 08:59 BST
    assert sent(K.SESSION_REMINDER) == []
    tick(clock, dt.datetime(2026, 3, 29, 8, 0, tzinfo=utc))  # Sun 09:00 BST
    assert sent(K.SESSION_REMINDER) == ["mira", "olga"]


def test_reminders_at_nine_local_after_autumn_switch(clock, organizer, member, group) -> None:
    """Clocks go back on Sunday 25 October 2026: 09:00 GMT is 09:00 UTC, not 08:00."""
    clock.to(london(2026, 10, 15, 12))
    session = make_session(organizer, london(2026, 10, 26, 16))  # Monday, GMT
    present(session, member)
    utc = dt.UTC
    tick(clock, dt.datetime(2026, 10, 23, 7, 59, tzinfo=utc))  # Fri 08:59 BST
    assert sent(K.PRESENTER_REMINDER) == []
    tick(clock, dt.datetime(2026, 10, 23, 8, 0, tzinfo=utc))  # Fri 09:00 BST
    assert sent(K.PRESENTER_REMINDER) == ["mira"]
    tick(clock, dt.datetime(2026, 10, 25, 8, 0, tzinfo=utc))  # Sun 08:00 GMT
    assert sent(K.SESSION_REMINDER) == []
    tick(clock, dt.datetime(2026, 10, 25, 9, 0, tzinfo=utc))  # Sun 09:00 GMT
    assert sent(K.SESSION_REMINDER) == ["mira", "olga"]


# --- Late ticks: workers down when the moment passed ---------------------------------------


def test_late_tick_still_sends_useful_reminders_once(clock, thursday) -> None:
    # Nothing ran from Tuesday evening until Wednesday 15:00: the 09:00 reminders go late.
    tick(clock, london(2026, 3, 11, 15, 0))
    assert sent(K.SESSION_REMINDER) == ["mira", "olga", "otto"]
    tick(clock, london(2026, 3, 11, 15, 5))
    assert len(mails("Reminder: Systems")) == 3


def test_reminder_found_after_session_started_is_dropped_never_sent(clock, thursday) -> None:
    # Nothing ran from Wednesday 08:00 until Thursday 17:00, after the session began.
    result = tick(clock, london(2026, 3, 12, 17, 0))
    rows = Notification.objects.filter(kind=K.SESSION_REMINDER)
    assert {(r.recipient.username, r.status, r.last_error) for r in rows} == {
        ("mira", "dropped", "session already started"),
        ("olga", "dropped", "session already started"),
        ("otto", "dropped", "session already started"),
    }
    assert len(result.claims.dropped) == rows.count() + 1  # and Mira's slides nudge
    assert mail.outbox == []
    tick(clock, london(2026, 3, 12, 17, 5))
    assert mail.outbox == []
    assert rows.count() == 3


def test_session_reminder_dropped_if_session_starts_before_send(clock, thursday) -> None:
    clock.to(london(2026, 3, 11, 9, 0))
    claiming.tick(now=london(2026, 3, 11, 9, 0))
    clock.to(london(2026, 3, 12, 16, 1))  # the queue was stuck until after the start
    run_outbox()
    assert set(
        Notification.objects.filter(kind=K.SESSION_REMINDER).values_list("status", "last_error")
    ) == {("dropped", "session already started")}
    assert mail.outbox == []


def test_open_slot_offer_skips_unavailable_members(clock, thursday, other_member) -> None:
    Unavailability.objects.create(user=other_member, date=dt.date(2026, 3, 12))
    tick(clock, london(2026, 3, 11, 9, 0))
    assert "otto" in sent(K.SESSION_REMINDER)  # still told about the session itself
