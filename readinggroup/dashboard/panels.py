"""What each section of the dashboard shows, for one member: one query per section."""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.html import strip_tags

from papers.models import Paper
from readinggroup.generations import Generations
from readinggroup.ical.ics import for_calendar
from readinggroup.models import (
    DataArea,
    Note,
    Session,
    Slot,
    Unavailability,
    User,
    WantToRead,
)
from readinggroup.notes.access import visible_notes

from . import stats
from .charts import Chart

# When the next session starts (cached renderings hold until then).
NextStart = Callable[[], dt.datetime | None]

OPEN_SESSIONS = 5
WANTED_PAPERS = 6
RECENT_NOTES = 5
WAITING_SLOTS = 10


# What the next session's card shows: its slots, presenters, papers and theme.
NEXT_SESSION_AREAS = (DataArea.SCHEDULE, DataArea.MEMBERS, DataArea.CATALOGUE)


def next_session(now: dt.datetime, fresh: Generations) -> Session | None:
    """The next session that will take place, with its slots, presenters and papers.

    The same for everyone: cached until it changes or starts (then another is next)."""

    def compute() -> tuple[Session | None, dt.datetime | None]:
        session = for_calendar(Session.objects.ahead(now).order_by("starts_at", "pk")).first()
        return session, session.starts_at if session else None

    return fresh.cached("next-session", areas=NEXT_SESSION_AREAS, compute=compute)


@dataclass(frozen=True)
class Duty:
    session: Session
    slot: Slot | None = None  # None: the member is this session's scribe

    @property
    def needs_confirmation(self) -> bool:
        return self.slot is not None and not self.slot.is_confirmed


def my_duties(user: User, now: dt.datetime) -> list[Duty]:
    """Slots the member presents and sessions they write up, soonest first."""
    slots = (
        Slot.objects.ahead(now)
        .filter(presenter=user)
        .select_related("session", "paper")
        .order_by("session__starts_at", "position")
    )
    duties = [Duty(session=slot.session, slot=slot) for slot in slots]
    duties += [Duty(session=s) for s in Session.objects.ahead(now).filter(scribe=user)]
    return sorted(duties, key=lambda d: (d.session.starts_at, d.slot is None))


def claimable_sessions(user: User, now: dt.datetime) -> list[Session]:
    """Upcoming sessions with open slots, on days the member has not marked unavailable."""
    day = TruncDate("starts_at", tzinfo=timezone.get_current_timezone())
    away = Unavailability.objects.filter(user=user).values("date")
    open_slots = (
        Slot.objects.claimable(now)
        .filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        Session.objects.ahead(now)
        .annotate(day=day, open_count=Coalesce(Subquery(open_slots), 0))
        .filter(open_count__gt=0)
        .exclude(day__in=away)
        .order_by("starts_at", "pk")[:OPEN_SESSIONS]
    )


# Want counts and marks are the catalogue's; being in a slot is the schedule's.
WANTED_AREAS = (DataArea.CATALOGUE, DataArea.SCHEDULE)


def most_wanted(
    user: User, now: dt.datetime, fresh: Generations, next_start: NextStart
) -> list[Paper]:
    """Wanted papers the group has neither scheduled nor already discussed, most wanted
    first, each marked ``wanted_by_me``.

    The list is the group's, cached until the marks or slots change or a session
    starts (its papers may become free again); the member's own marks are one query."""

    def compute() -> tuple[list[Paper], dt.datetime | None]:
        in_a_slot = Slot.objects.ahead(now) | Slot.objects.presented(now)
        papers = (
            Paper.objects.filter(want_count__gt=0)
            .filter(~Exists(in_a_slot.filter(paper=OuterRef("pk"))))
            .order_by("-want_count", "title_key")[:WANTED_PAPERS]
        )
        return list(papers), next_start()

    papers = fresh.cached("most-wanted", areas=WANTED_AREAS, compute=compute)
    mine = set(
        WantToRead.objects.filter(user=user, paper__in=[p.pk for p in papers]).values_list(
            "paper_id", flat=True
        )
    )
    for paper in papers:
        paper.wanted_by_me = paper.pk in mine
    return papers


def recent_notes(user: User) -> list[Note]:
    """The newest notes the member may read (hidden ones stay hidden), with a plain excerpt."""
    notes = list(
        visible_notes(user)
        .select_related("author", "paper", "session")
        .order_by("-created_at", "-pk")[:RECENT_NOTES]
    )
    for note in notes:
        # Text of the sanitised HTML, entities decoded: the template escapes it once.
        note.excerpt = html.unescape(strip_tags(note.body_html))
    return notes


def waiting_for_confirmation(now: dt.datetime) -> list[Slot]:
    """For organizers: assignments in upcoming sessions their presenters have not confirmed."""
    return list(
        Slot.objects.ahead(now)
        .filter(presenter__isnull=False, confirmed_at__isnull=True)
        .select_related("session", "presenter", "paper")
        .order_by("session__starts_at", "position")[:WAITING_SLOTS]
    )


# The charts count presentations (sessions, slots), topics' listings, and members.
CHART_AREAS = (DataArea.SCHEDULE, DataArea.CATALOGUE, DataArea.MEMBERS)


def charts(user: User, now: dt.datetime, fresh: Generations, next_start: NextStart) -> list[Chart]:
    """The group's charts, computed once per change to what they count (and drawn).

    Topic coverage is the group's; the load chart is each member's own (it draws them
    too), so it is kept per member.
    """

    def coverage() -> tuple[Chart, dt.datetime]:
        chart = stats.topic_coverage(now)
        chart.svg  # noqa: B018  (drawn now, kept with the chart)
        return chart, stats.valid_until(now, next_start())

    def load() -> tuple[Chart, dt.datetime]:
        chart = stats.presentation_load(now, user=user)
        chart.svg  # noqa: B018
        return chart, stats.valid_until(now, next_start())

    return [
        fresh.cached("topic-coverage", areas=CHART_AREAS, compute=coverage),
        fresh.cached("presentation-load", areas=CHART_AREAS, key=(user.pk,), compute=load),
    ]


def personal(user: User, now: dt.datetime, fresh: Generations, next_start: NextStart) -> dict:
    """The member's own sections: their duties, the open slots on days they are
    available, the most wanted papers with their own marks, the notes they may read
    (and for organizers, the assignments not yet confirmed).

    They read from every area, so they are cached per member until anything changes
    or the next session starts."""

    def compute() -> tuple[dict, dt.datetime | None]:
        sections = {
            "duties": my_duties(user, now),
            "claimable": claimable_sessions(user, now),
            "wanted": most_wanted(user, now, fresh, next_start),
            "notes": recent_notes(user),
        }
        if user.is_organizer:
            sections["waiting"] = waiting_for_confirmation(now)
        return sections, next_start()

    key = (user.pk, user.is_organizer)
    return fresh.cached("dashboard-personal", areas=DataArea, key=key, compute=compute)


def dashboard(user: User, now: dt.datetime | None = None) -> dict:
    """Everything the dashboard template shows; a fixed number of queries."""
    now = now or timezone.now()
    fresh = Generations.read()
    # When the next session starts, read once and only if a section is computed afresh.
    next_start = functools.cache(lambda: Session.objects.next_start(now))
    return {
        "next_session": next_session(now, fresh),
        **personal(user, now, fresh, next_start),
        "charts": charts(user, now, fresh, next_start),
    }
