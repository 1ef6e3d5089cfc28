"""Who could present in a session's open slots, and what: fair suggestions for organizers.

Fairness: active members who have presented least (past, non-cancelled sessions)
come first; among equals, whoever presented longest ago (never is longest). Nobody
who marked the day unavailable, or already presents or scribes in the session, is
suggested. Each suggestion comes with a paper: one the member wants to read and
nobody has scheduled, else the most wanted unscheduled paper, within the session's
theme topic if it has one. Four queries, whatever the size of the group.

Accepting goes through ``scheduling.assign_slot`` like any assignment, so the same
constraints and race handling apply; a slot or paper taken meanwhile is skipped.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.dateformat import format as date_format

from papers.models import Listing, Paper
from readinggroup.models import Session, Slot, Unavailability, User, WantToRead

from . import scheduling


@dataclass(frozen=True)
class Suggestion:
    slot: Slot
    presenter: User
    paper: Paper | None
    reasons: list[str]


@dataclass
class AcceptOutcome:
    assigned: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _times(n: int) -> str:
    return {0: "presented 0 times", 1: "presented once"}.get(n, f"presented {n} times")


def _when(moment: dt.datetime, session: Session) -> str:
    local = timezone.localtime(moment)
    same_year = local.year == timezone.localtime(session.starts_at).year
    return date_format(local, "j M" if same_year else "j M Y")


def fair_candidates(session: Session, *, busy: set[int], now: dt.datetime) -> QuerySet[User]:
    """Active members free that day and not busy in the session, fairest first.

    The fairness figures and order are the members page's, so both always agree.
    """
    day = timezone.localtime(session.starts_at).date()
    users = (
        User.objects.filter(is_active=True)
        .exclude(pk__in=busy)
        .exclude(Exists(Unavailability.objects.filter(user=OuterRef("pk"), date=day)))
    )
    return users.with_presentation_stats(now).fairness_order()


def _in_topic(papers: QuerySet, session: Session, field_name: str = "pk") -> QuerySet:
    if session.theme_topic_id is None:
        return papers
    listed = Listing.objects.filter(topic_id=session.theme_topic_id).values("paper_id")
    return papers.filter(**{f"{field_name}__in": listed})


def suggest_presenters(session: Session, *, now: dt.datetime | None = None) -> list[Suggestion]:
    """One suggestion per open slot of an upcoming session, fairest member first."""
    now = now or timezone.now()
    if session.is_cancelled or session.starts_at <= now:
        return []
    slots = list(session.slots.order_by("position"))
    open_slots = [slot for slot in slots if slot.is_open]
    if not open_slots:
        return []
    busy = {slot.presenter_id for slot in slots if slot.presenter_id}
    if session.scribe_id:
        busy.add(session.scribe_id)
    people = list(fair_candidates(session, busy=busy, now=now)[: len(open_slots)])
    if not people:
        return []

    # Their own unscheduled wishes, the most wanted by the group first.
    scheduled = Slot.objects.filter(paper=OuterRef("paper_id"), upcoming=True)
    wishes = (
        _in_topic(WantToRead.objects.filter(user__in=people), session, "paper_id")
        .filter(~Exists(scheduled))
        .select_related("paper")
        .order_by("-paper__want_count", "created_at", "pk")
    )
    wishes_of: dict[int, list[Paper]] = defaultdict(list)
    for wish in wishes:
        wishes_of[wish.user_id].append(wish.paper)
    # Enough of the most wanted papers even if every other suggestion used one of them.
    fallback = list(_in_topic(Paper.objects.unscheduled(), session)[: 2 * len(open_slots)])

    topic = session.theme_topic
    in_topic = f" in {topic}" if topic else ""
    suggestions, used = [], set()
    for slot, person in zip(open_slots, people, strict=False):
        reasons = [_times(person.presented_count)]
        if person.last_presented_at:
            reasons.append(f"last presented {_when(person.last_presented_at, session)}")
        paper = next((p for p in wishes_of[person.pk] if p.pk not in used), None)
        if paper is not None:
            reasons.append("wants to read this paper")
        else:
            paper = next((p for p in fallback if p.pk not in used), None)
            if paper is None:
                reasons.append(f"no unscheduled paper left{in_topic}")
            elif paper.want_count:
                reasons.append(f"most wanted unscheduled paper{in_topic}")
            else:
                reasons.append(f"unscheduled paper{in_topic} (nobody has marked one yet)")
        if paper is not None:
            used.add(paper.pk)
        suggestions.append(Suggestion(slot=slot, presenter=person, paper=paper, reasons=reasons))
    return suggestions


def accept_suggestions(
    *, session: Session, by: User, picks: list[tuple[int, int, int | None]]
) -> AcceptOutcome:
    """Assign each (slot id, presenter id, paper id) pick; skip, saying why, what cannot be."""
    slots = {s.pk: s for s in session.slots.select_related("session")}
    people = User.objects.filter(is_active=True).in_bulk([p for _, p, _ in picks])
    papers = Paper.objects.in_bulk([p for _, _, p in picks if p is not None])
    outcome = AcceptOutcome()
    for slot_id, presenter_id, paper_id in picks:
        slot, presenter = slots.get(slot_id), people.get(presenter_id)
        paper = papers.get(paper_id) if paper_id is not None else None
        if slot is None or presenter is None or (paper_id is not None and paper is None):
            outcome.skipped.append("A suggestion no longer matches this session; skipped.")
            continue
        label = f"Slot {slot.position}"
        # "Already presents in this session" is the database's to say (a constraint),
        # under the same lock as the assignment: assign_slot turns it into words.
        try:
            result = scheduling.assign_slot(
                slot=slot, by=by, presenter=presenter, paper=paper, expect_open=True
            )
        except scheduling.SchedulingError as exc:
            outcome.skipped.append(f"{label} skipped: {exc}")
            continue
        what = f" with “{paper}”" if paper else ""
        outcome.assigned.append(
            " ".join([f"{label}: {presenter} asked to present{what}.", *result.warnings])
        )
    return outcome
