"""The weekly digest: what is coming up, what could be claimed, what people wrote.

Digests are built in bulk from a fixed handful of queries, whatever the number of
members: the parts everyone shares are read once, and the personal parts
(unavailable days, notes since the member's last digest) are read for everyone at
once and split in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch

from papers.models import Paper
from readinggroup.models import Note, Role, Session, Slot, Unavailability, User

from .due import digest_recipients, local_date, week_scope

UPCOMING_DAYS = 14  # sessions listed in full
OPEN_SLOT_DAYS = 56  # open slots offered for claiming
MAX_OPEN_SLOTS = 8
MAX_WANTED = 5
MAX_NOTES = 10
# A member whose last digest is older than this (or who never had one) gets the
# notes of the last week; nobody gets more than a month of them.
FIRST_NOTES_DAYS = 7
MAX_NOTES_DAYS = 31


@dataclass
class DigestShared:
    """What every member's digest has in common (and what the chat summary shows)."""

    now: dt.datetime
    scope: str
    sessions: list[Session]
    open_slots: list[Slot]
    wanted: list[Paper]

    @property
    def week_of(self) -> dt.date:
        day = local_date(self.now)
        return day - dt.timedelta(days=day.weekday())


@dataclass
class Digest:
    member: User
    shared: DigestShared
    since: dt.datetime
    open_slots: list[Slot] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    more_notes: int = 0

    @property
    def now(self) -> dt.datetime:
        return self.shared.now

    @property
    def sessions(self) -> list[Session]:
        return self.shared.sessions

    @property
    def wanted(self) -> list[Paper]:
        return self.shared.wanted

    @property
    def presenting(self) -> list[Slot]:
        """The member's own slots among the upcoming sessions."""
        return [
            slot
            for session in self.sessions
            for slot in session.slots.all()
            if slot.presenter_id == self.member.pk
        ]

    @property
    def is_empty(self) -> bool:
        return not (self.sessions or self.open_slots or self.wanted or self.notes)


def build_shared(*, now: dt.datetime) -> DigestShared:
    """Upcoming sessions with their slots, open slots, most wanted papers: four queries."""
    slots = Slot.objects.select_related("presenter", "paper").order_by("position")
    sessions = list(
        Session.objects.ahead(now)
        .filter(starts_at__lte=now + dt.timedelta(days=UPCOMING_DAYS))
        .select_related("theme_topic")
        .prefetch_related(Prefetch("slots", queryset=slots))
        .order_by("starts_at", "pk")
    )
    open_slots = list(
        Slot.objects.claimable(now)
        .filter(session__starts_at__lte=now + dt.timedelta(days=OPEN_SLOT_DAYS))
        .select_related("session")
        .order_by("session__starts_at", "session_id", "position")
    )
    wanted = list(Paper.objects.unscheduled().filter(want_count__gt=0)[:MAX_WANTED])
    return DigestShared(
        now=now,
        scope=week_scope(local_date(now)),
        sessions=sessions,
        open_slots=open_slots,
        wanted=wanted,
    )


def _since(member: User, now: dt.datetime) -> dt.datetime:
    floor = now - dt.timedelta(days=MAX_NOTES_DAYS)
    since = member.last_digest_at or now - dt.timedelta(days=FIRST_NOTES_DAYS)
    return max(since, floor)


# Note.objects.visible_to for a member who wrote nothing: the notes every member may read. Never
# saved; pk 0 matches no author, so neither the "own hidden note" nor the "reply under
# my hidden note" exception applies. Organizers get the same list: no hidden notes by email.
_ANY_MEMBER = User(pk=0, role=Role.MEMBER)


def _visible_notes_since(since: dt.datetime, now: dt.datetime) -> list[Note]:
    """Notes every member may read (hidden ones and replies under them left out)."""
    notes = Note.objects.filter(created_at__gt=since, created_at__lte=now)
    return list(
        notes.visible_to(_ANY_MEMBER)
        .select_related("author", "paper", "session")
        .order_by("-created_at", "-pk")
    )


def build_weekly_digests(
    *, now: dt.datetime, members: Iterable[User] | None = None
) -> list[Digest]:
    """One digest per member (default: every active member who wants the weekly digest).

    Seven queries with the default members, six with given ones, for any number of them.
    """
    members = list(digest_recipients() if members is None else members)
    if not members:
        return []
    shared = build_shared(now=now)

    slot_days = {local_date(slot.session.starts_at) for slot in shared.open_slots}
    unavailable: dict[int, set[dt.date]] = defaultdict(set)
    if slot_days:
        for user_id, day in Unavailability.objects.filter(date__in=slot_days).values_list(
            "user_id", "date"
        ):
            unavailable[user_id].add(day)

    sinces = {member.pk: _since(member, now) for member in members}
    notes = _visible_notes_since(min(sinces.values()), now)

    digests = []
    for member in members:
        away = unavailable.get(member.pk, set())
        claimable = [
            slot for slot in shared.open_slots if local_date(slot.session.starts_at) not in away
        ]
        since = sinces[member.pk]
        recent = [note for note in notes if note.created_at > since]
        digests.append(
            Digest(
                member=member,
                shared=shared,
                since=since,
                open_slots=claimable[:MAX_OPEN_SLOTS],
                notes=recent[:MAX_NOTES],
                more_notes=max(len(recent) - MAX_NOTES, 0),
            )
        )
    return digests


def build_digest(*, member: User, now: dt.datetime) -> Digest:
    return build_weekly_digests(now=now, members=[member])[0]
