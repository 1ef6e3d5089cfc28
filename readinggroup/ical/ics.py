"""iCalendar (RFC 5545) for sessions: the private feed and the per-session .ics file.

``session_calendar`` only reads what it is given; callers pass sessions from
``for_calendar()`` so a calendar of any size costs the same two queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Max, Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone
from icalendar import Alarm, Calendar, Event, vDuration

from readinggroup.models import Session, Slot
from readinggroup.weblinks import safe_url

PRODID = "-//readinggroup//Reading group sessions//EN"
DEFAULT_NAME = "Reading group"
# The feed: sessions of the last RECENT_DAYS and every future one.
RECENT_DAYS = 90
# How often calendar apps are asked to fetch the feed again.
POLL_INTERVAL = dt.timedelta(hours=1)


def _slots() -> Prefetch:
    slots = Slot.objects.select_related("presenter", "paper").order_by("position")
    return Prefetch("slots", queryset=slots)


def for_calendar(sessions: QuerySet[Session] | None = None) -> QuerySet[Session]:
    """Sessions with everything an event needs loaded: one query, plus one for all slots."""
    sessions = Session.objects.all() if sessions is None else sessions
    return sessions.select_related("theme_topic", "scribe").prefetch_related(_slots())


def load_for_calendar(session: Session) -> Session:
    """The same for one session already fetched with its theme and scribe (as the
    access helpers do): one more query for its slots."""
    prefetch_related_objects([session], _slots())
    return session


def feed_sessions(now: dt.datetime | None = None) -> QuerySet[Session]:
    """What the private feed serves: recent and future sessions, cancelled ones included."""
    since = (now or timezone.now()) - dt.timedelta(days=RECENT_DAYS)
    return for_calendar(Session.objects.filter(starts_at__gte=since).order_by("starts_at", "pk"))


def feed_version(now: dt.datetime | None = None) -> str:
    """What the feed's content depends on, in one aggregate query: which sessions are
    in its window and when they, or the papers in their slots, last changed. Slot
    changes touch their session (``Session.objects.touch``); a session falling out of
    the window changes the count. A member's new display name alone does not show
    until the next change: the feed's DTSTAMPs are not part of its version."""
    row = (
        feed_sessions(now)
        .order_by()
        .aggregate(
            sessions=Count("pk", distinct=True),
            changed=Max("updated_at"),
            papers_changed=Max("slots__paper__updated_at"),
        )
    )
    return "{sessions}:{changed}:{papers_changed}".format(**row)


def session_calendar(
    sessions: Iterable[Session],
    *,
    name: str = DEFAULT_NAME,
    alarm_minutes: int | None = None,
    base_url: str = "",
) -> bytes:
    """A complete VCALENDAR with one VEVENT per session.

    ``base_url`` ("https://reading.example.org") makes each event link to its
    session page and names the host in the UIDs; without it the UIDs end in
    "@readinggroup". ``alarm_minutes`` adds a reminder that many minutes before
    each session that is not cancelled.
    """
    base_url = base_url.rstrip("/")
    host = urlsplit(base_url).hostname or "readinggroup"
    stamp = timezone.now().astimezone(dt.UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    # Ask subscribing apps to poll hourly (Outlook and Apple honour this one).
    calendar.add("x-published-ttl", vDuration(POLL_INTERVAL))
    for session in sessions:
        calendar.add_component(
            session_event(
                session, host=host, stamp=stamp, alarm_minutes=alarm_minutes, base_url=base_url
            )
        )
    return calendar.to_ical()


def session_event(
    session: Session,
    *,
    host: str,
    stamp: dt.datetime,
    alarm_minutes: int | None = None,
    base_url: str = "",
) -> Event:
    starts = session.starts_at.astimezone(dt.UTC)
    event = Event()
    event.add("uid", f"session-{session.pk}@{host}")
    event.add("dtstamp", stamp)
    event.add("dtstart", starts)
    event.add("dtend", starts + dt.timedelta(minutes=session.duration_minutes))
    event.add("summary", session.title or DEFAULT_NAME)
    location = session.place or safe_url(session.video_url)
    if location:
        event.add("location", location)
    if base_url:
        event.add("url", base_url + session.get_absolute_url())
    event.add("description", _description(session, base_url=base_url))
    event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
    event.add("sequence", sequence(session))
    event.add("last-modified", session.updated_at.astimezone(dt.UTC))
    if alarm_minutes is not None and not session.is_cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", dt.timedelta(minutes=-alarm_minutes))
        alarm.add("description", f"{session.title or DEFAULT_NAME} starts soon")
        event.add_component(alarm)
    return event


def sequence(session: Session) -> int:
    """Grows whenever the session changes, so calendar apps take the new version.

    Seconds between creation and ``updated_at``. Editing, cancelling and every slot
    change (claim, release, assign, confirm, decline, slides) and the scribe set
    ``updated_at`` (scheduling.touch_sessions), so all of them raise it; a
    cancellation adds one more so that even one within the same second as the last
    change still shows.
    """
    edits = int((session.updated_at - session.created_at).total_seconds())
    return max(edits, 0) + (1 if session.is_cancelled else 0)


def _description(session: Session, *, base_url: str) -> str:
    lines = []
    if session.is_cancelled:
        lines += ["This session is cancelled.", ""]
    if session.theme_topic_id:
        lines.append(f"Theme: {session.theme_topic}")
    slots = list(session.slots.all())
    if slots:
        lines.append("Presentations:")
    for slot in slots:
        who = slot.presenter.name if slot.presenter_id else "open slot"
        what = str(slot.paper) if slot.paper_id else "paper to be chosen"
        if slot.presenter_id or slot.paper_id:
            lines.append(f"{slot.position}. {who}: {what}")
        else:
            lines.append(f"{slot.position}. Open slot")
    if session.scribe_id:
        lines.append(f"Scribe: {session.scribe.name}")
    if safe_url(session.video_url):
        lines.append(f"Video: {safe_url(session.video_url)}")
    if base_url:
        lines.append(f"Session page: {base_url}{session.get_absolute_url()}")
    return "\n".join(lines)
