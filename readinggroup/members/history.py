"""Who presented what and when, and who has duties ahead: the fairness figures.

A presentation counts when its member held a slot of a session that has started
and was not cancelled (``Slot.objects.presented``). Duties are slots and scribe
roles in the sessions ahead (``ahead``).
Every function here runs a fixed number of queries, whatever the number of
members, sessions and slots.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.utils import timezone

from readinggroup.models import Session, Slot, User


def _duty_slots(now: dt.datetime) -> QuerySet[Slot]:
    return Slot.objects.ahead(now).select_related("session", "paper")


def _scribe_sessions(now: dt.datetime) -> QuerySet[Session]:
    return Session.objects.ahead(now).order_by("starts_at")


def _last_presented_slots(members: list[User], now: dt.datetime) -> dict[int, Slot]:
    """Each member's latest presentation, by presenter id: one query for the page."""
    latest = (
        Slot.objects.presented(now)
        .filter(presenter=OuterRef("pk"))
        .order_by("-session__starts_at", "-position")
        .values("pk")[:1]
    )
    ids = User.objects.filter(pk__in=[m.pk for m in members]).values(last=Subquery(latest))
    slots = Slot.objects.filter(pk__in=ids).select_related("session", "paper")
    return {slot.presenter_id: slot for slot in slots}


def most_presentations(users: QuerySet[User], now: dt.datetime | None = None) -> int:
    """The most presentations any of ``users`` gave (the members page scales its bars to it).

    One query grouping the presented slots by presenter; no per-member subqueries."""
    now = now or timezone.now()
    top = (
        Slot.objects.presented(now)
        .filter(presenter__in=users)
        .order_by()
        .values("presenter")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("n", flat=True)[:1]
    )
    return next(iter(top), 0)


def add_duties(members: list[User], now: dt.datetime | None = None) -> list[User]:
    """Give members (annotated by ``with_presentation_stats``) ``last_slot``,
    ``upcoming_slots`` and ``upcoming_scribing``: three queries, whatever their number."""
    now = now or timezone.now()
    prefetch_related_objects(
        members,
        Prefetch(
            "slots",
            queryset=_duty_slots(now).order_by("session__starts_at", "position"),
            to_attr="upcoming_slots",
        ),
        Prefetch("scribe_sessions", queryset=_scribe_sessions(now), to_attr="upcoming_scribing"),
    )
    last_slots = _last_presented_slots(members, now) if members else {}
    for m in members:
        m.last_slot = last_slots.get(m.pk)
    return members


def members_with_duties(users: QuerySet[User], now: dt.datetime | None = None) -> list[User]:
    """Members in fairness order with stats, ``last_slot``, ``upcoming_slots`` and scribing.

    Four queries: the members, their last presentations, their slots ahead, their
    scribe roles ahead.
    """
    now = now or timezone.now()
    return add_duties(list(users.with_presentation_stats(now).fairness_order()), now)


@dataclass
class History:
    """One member's record: papers presented (newest first) and duties ahead."""

    presented: list[Slot] = field(default_factory=list)
    upcoming_slots: list[Slot] = field(default_factory=list)
    upcoming_scribing: list[Session] = field(default_factory=list)

    @property
    def has_duties(self) -> bool:
        return bool(self.upcoming_slots or self.upcoming_scribing)


def member_history(user: User, now: dt.datetime | None = None) -> History:
    """Two queries: the member's slots in scheduled sessions, their scribe roles ahead."""
    now = now or timezone.now()
    presented = Slot.objects.presented(now).filter(presenter=user)
    # One query for both: presented ones (started) and duties (ahead), told apart below.
    slots = (
        (presented | Slot.objects.ahead(now).filter(presenter=user))
        .select_related("session", "paper")
        .order_by("session__starts_at", "position")
    )
    history = History(upcoming_scribing=list(_scribe_sessions(now).filter(scribe=user)))
    for slot in slots:
        if slot.session.starts_at <= now:
            history.presented.insert(0, slot)
        else:
            history.upcoming_slots.append(slot)
    return history
