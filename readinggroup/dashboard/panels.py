"""What each section of the dashboard shows, for one member: one query per section."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.html import strip_tags

from papers.models import Paper
from readinggroup.ical.ics import for_calendar
from readinggroup.models import (
    Note,
    Session,
    Slot,
    Unavailability,
    User,
    WantToRead,
)

from . import stats

OPEN_SESSIONS = 5
WANTED_PAPERS = 6
RECENT_NOTES = 5
WAITING_SLOTS = 10


def next_session(now: dt.datetime) -> Session | None:
    """The next session that will take place, with its slots, presenters and papers."""
    return for_calendar(Session.objects.ahead(now).order_by("starts_at", "pk")).first()


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


def most_wanted(user: User, now: dt.datetime) -> list[Paper]:
    """Wanted papers the group has neither scheduled nor already discussed, most wanted
    first, each marked ``wanted_by_me``: two queries."""
    in_a_slot = Slot.objects.ahead(now) | Slot.objects.presented(now)
    papers = list(
        Paper.objects.filter(want_count__gt=0)
        .filter(~Exists(in_a_slot.filter(paper=OuterRef("pk"))))
        .order_by("-want_count", "title_key")[:WANTED_PAPERS]
    )
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
        Note.objects.visible_to(user)
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


def dashboard(user: User, now: dt.datetime | None = None) -> dict:
    """Everything the dashboard template shows; a fixed number of queries."""
    now = now or timezone.now()
    context = {
        "next_session": next_session(now),
        "duties": my_duties(user, now),
        "claimable": claimable_sessions(user, now),
        "wanted": most_wanted(user, now),
        "notes": recent_notes(user),
        "charts": [stats.topic_coverage(now), stats.presentation_load(now, user=user)],
    }
    if user.is_organizer:
        context["waiting"] = waiting_for_confirmation(now)
    return context
