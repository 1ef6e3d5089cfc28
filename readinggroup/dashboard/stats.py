"""The numbers behind the group's charts: one query per chart."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter

from django.db.models import Case, Count, F, Max, Min, Q, Sum, Value, When, Window
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, RowNumber, Trim
from django.template.defaultfilters import pluralize
from django.utils import timezone

from papers.models import Listing, Topic
from readinggroup.models import Slot, User

from .charts import Bar, Chart

TERM_MONTHS = 6
# The charts draw at most this many rows, whatever the size of the group.
TOP_TOPICS = 12
TOP_MEMBERS = 15


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (31 Aug less 6 months is 28 or 29 Feb)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def topic_coverage(now: dt.datetime | None = None) -> Chart:
    """The TOP_TOPICS topics listing the most papers: papers discussed (presented in a past
    session that was held) of papers listed.

    Three small queries whatever the catalogue's size: rank topics by their listings
    (an index scan, no join), count the topics, then count discussed papers for the
    drawn topics only."""
    now = now or timezone.now()
    ranked = (
        Listing.objects.values("topic")
        .annotate(listed=Count("pk"))  # a paper is listed once per topic (a constraint)
        .order_by("-listed", "topic")[:TOP_TOPICS]
    )
    listed = {row["topic"]: row["listed"] for row in ranked}
    more = Listing.objects.values("topic").distinct().count() - len(listed)
    held = Q(listings__paper__in=Slot.objects.presented(now).values("paper"))
    discussed = Topic.objects.filter(pk__in=listed).select_related("reading_list")
    discussed = {t.pk: t for t in discussed.annotate(discussed=Count("listings", filter=held))}
    topics = [discussed[pk] for pk in listed if pk in discussed]
    # Two lists may share a topic name: only then does the label name the list.
    repeated = {name for name, n in Counter(t.name for t in topics).items() if n > 1}
    bars = [
        Bar(
            label=f"{t.name} ({t.reading_list.name})" if t.name in repeated else t.name,
            value=t.discussed,
            total=listed[t.pk],
            detail=t.reading_list.name,
        )
        for t in topics
    ]
    shown = f"the {len(bars)} topics listing the most papers" if more else f"{len(bars)} topics"
    rest = f"and {more} more topic{pluralize(more)}" if more else ""
    return Chart(
        chart_id="chart-topic-coverage",
        title="Topic coverage: the topics listing the most papers" if more else "Topic coverage",
        description=(
            f"For each of {shown}, how many of the papers it lists were presented "
            "in past sessions (cancelled ones do not count), against how many it lists."
            + (f" Not drawn: {rest}." if rest else "")
        ),
        label_heading="Topic",
        value_label="Papers discussed",
        total_label="Papers listed",
        detail_label="Reading list",
        bars=bars,
        more=rest,
    )


NAME_FIELDS = ("display_name", "first_name", "last_name", "username")


def _shown_name(prefix: str = "") -> Lower:
    """``User.name`` in SQL (display name, else full name, else username), for sorting."""
    first, last, display, username = (
        f"{prefix}first_name",
        f"{prefix}last_name",
        f"{prefix}display_name",
        f"{prefix}username",
    )
    full = Trim(Concat(first, Value(" "), last))
    return Lower(Coalesce(NullIf(display, Value("")), NullIf(full, Value("")), username))


def presentation_load(now: dt.datetime | None = None, *, user: User | None = None) -> Chart:
    """Presentations given in the term (the last TERM_MONTHS months until today): the
    TOP_MEMBERS members who gave the most, ``user`` too if they presented, and one line
    for everyone else.

    Three small queries whatever the group's size, all starting from the term's
    presented slots: the ranked presenters, the members who did not present (to fill
    a small group's chart), and a summary of the presenters not drawn."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start_day = months_before(today, TERM_MONTHS)
    start = dt.datetime.combine(start_day, dt.time.min, tzinfo=timezone.get_current_timezone())
    term = Slot.objects.presented(now).filter(session__starts_at__gte=start).order_by()
    by_presenter = term.values("presenter", *(f"presenter__{f}" for f in NAME_FIELDS)).annotate(
        load=Count("pk")
    )
    me = user.pk if user is not None and user.pk else 0
    # ``you`` is 1 on the user's row if they presented (else on some other row, dropped
    # below): one filter on window values picks the busiest and them.
    ranked = by_presenter.annotate(
        rank=Window(
            RowNumber(),
            order_by=[F("load").desc(), _shown_name("presenter__").asc(), F("presenter").asc()],
        ),
        you=Window(
            RowNumber(), order_by=[Case(When(presenter=me, then=0), default=1), F("presenter")]
        ),
    )
    rows = ranked.filter(Q(rank__lte=TOP_MEMBERS) | Q(you=1)).order_by("rank")
    rows = [r for r in rows if r["rank"] <= TOP_MEMBERS or r["presenter"] == me]
    # Active members who did not present: the first few by name fill a small group's chart.
    idle = (
        User.objects.filter(is_active=True)
        .exclude(pk__in=term.values("presenter"))
        .annotate(idle_count=Window(Count("pk")))
        .order_by(_shown_name(), "pk")[:TOP_MEMBERS]
    )
    idle = list(idle)
    idle_count = idle[0].idle_count if idle else 0
    idle = idle[: max(0, TOP_MEMBERS - len(rows))]
    others = by_presenter.exclude(presenter__in=[r["presenter"] for r in rows]).aggregate(
        count=Count("presenter"),
        presentations=Coalesce(Sum("load"), 0),
        low=Min("load"),
        high=Max("load"),
    )

    def name(row: dict) -> str:
        return User(**{f: row[f"presenter__{f}"] for f in NAME_FIELDS}).name

    bars = [Bar(label=name(r), value=r["load"]) for r in rows]
    bars.extend(Bar(label=m.name, value=0) for m in idle)  # only when fewer than the top
    hidden = others["count"] + idle_count - len(idle)
    rest = ""
    if hidden:
        low = 0 if idle_count > len(idle) else others["low"]
        high = others["high"] if others["count"] else 0
        times = f"{low} time{pluralize(low)}" if low == high else f"{low}\N{EN DASH}{high} times"
        rest = f"{hidden} other member{pluralize(hidden)} presented {times}"
    total = sum(r["load"] for r in rows) + others["presentations"]
    presenters = len(rows) + others["count"]
    you_too = " and you" if rows and rows[-1]["rank"] > TOP_MEMBERS else ""
    term_text = f"{_day(start_day)} to {_day(today)}"
    return Chart(
        chart_id="chart-presentation-load",
        title=f"Presentations per member, {term_text}",
        description=(
            f"The term is the last {TERM_MONTHS} months until today ({term_text}). "
            f"{total} presentations in sessions held, "
            f"shared among {presenters} of {presenters + idle_count} members."
            + (
                f" Drawn: the {len(bars) - bool(you_too)} members who presented most"
                f"{you_too}; {rest}."
                if rest
                else ""
            )
        ),
        label_heading="Member",
        value_label="Presentations",
        bars=bars,
        more=rest,
    )
