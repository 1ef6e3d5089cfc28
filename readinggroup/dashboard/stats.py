"""The numbers behind the group's charts: one query per chart."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter

from django.db.models import Case, Count, F, Max, Min, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, RowNumber, Trim
from django.template.defaultfilters import pluralize
from django.utils import timezone

from papers.models import Topic
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


def _topics() -> QuerySet[Topic]:
    return Topic.objects.annotate(listed=Count("listings__paper", distinct=True)).filter(
        listed__gt=0
    )


def topic_coverage(now: dt.datetime | None = None) -> Chart:
    """The TOP_TOPICS topics listing the most papers: papers discussed (presented in a past
    session that was held) of papers listed. Two queries, bounded rows at any size."""
    now = now or timezone.now()
    held = Q(listings__paper__in=Slot.objects.presented(now).values("paper"))
    topics = list(
        _topics()
        .select_related("reading_list")
        .annotate(discussed=Count("listings__paper", filter=held, distinct=True))
        .order_by("-listed", Lower("name"), "pk")[:TOP_TOPICS]
    )
    more = _topics().count() - len(topics)
    # Two lists may share a topic name: only then does the label name the list.
    repeated = {name for name, n in Counter(t.name for t in topics).items() if n > 1}
    bars = [
        Bar(
            label=f"{t.name} ({t.reading_list.name})" if t.name in repeated else t.name,
            value=t.discussed,
            total=t.listed,
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


def _shown_name() -> Coalesce:
    """``User.name`` in SQL: display name, else full name, else username."""
    full = Trim(Concat("first_name", Value(" "), "last_name"))
    return Lower(Coalesce(NullIf("display_name", Value("")), NullIf(full, Value("")), "username"))


def presentation_load(now: dt.datetime | None = None, *, user: User | None = None) -> Chart:
    """Presentations given in the term (the last TERM_MONTHS months until today): the
    TOP_MEMBERS members who gave the most, ``user`` too if they presented, and one line
    for everyone else. Two queries, bounded rows at any size."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start_day = months_before(today, TERM_MONTHS)
    start = dt.datetime.combine(start_day, dt.time.min, tzinfo=timezone.get_current_timezone())
    in_term = Q(slots__in=Slot.objects.presented(now).filter(session__starts_at__gte=start))
    members = User.objects.annotate(load=Count("slots", filter=in_term)).filter(
        Q(is_active=True) | Q(load__gt=0)
    )
    # By load, then by the name shown; the rank is computed by the database. ``you`` is 1
    # on the user's row only, so one filter on window values picks both (a filter mixing
    # window and plain conditions is not supported).
    me = user.pk if user is not None and user.pk else 0
    ranked = members.annotate(
        rank=Window(RowNumber(), order_by=[F("load").desc(), _shown_name().asc(), F("pk").asc()]),
        you=Window(RowNumber(), order_by=[Case(When(pk=me, then=0), default=1), F("pk").asc()]),
    )
    rows = ranked.filter(Q(rank__lte=TOP_MEMBERS) | Q(you=1)).order_by("rank")
    # Row ``you`` is the user's (or anyone's when there is no user): kept if they presented.
    top = [m for m in rows if m.rank <= TOP_MEMBERS or (m.pk == me and m.load > 0)]
    bars = [Bar(label=m.name, value=m.load) for m in top]
    others = members.exclude(pk__in=[m.pk for m in top]).aggregate(
        count=Count("pk"),
        presentations=Coalesce(Sum("load"), 0),
        presenters=Count("pk", filter=Q(load__gt=0)),
        low=Min("load"),
        high=Max("load"),
    )
    rest = ""
    if others["count"]:
        low, high = others["low"], others["high"]
        times = f"{low} time{pluralize(low)}" if low == high else f"{low}\N{EN DASH}{high} times"
        rest = f"{others['count']} other member{pluralize(others['count'])} presented {times}"
    total = sum(b.value for b in bars) + others["presentations"]
    presenters = sum(1 for b in bars if b.value) + others["presenters"]
    term = f"{_day(start_day)} to {_day(today)}"
    return Chart(
        chart_id="chart-presentation-load",
        title=f"Presentations per member, {term}",
        description=(
            f"The term is the last {TERM_MONTHS} months until today ({term}). "
            f"{total} presentations in sessions held, "
            f"shared among {presenters} of {len(bars) + others['count']} members."
            + (
                f" Drawn: the {len(bars)} members who presented most"
                + (" and you" if len(top) > TOP_MEMBERS else "")
                + f"; {rest}."
                if rest
                else ""
            )
        ),
        label_heading="Member",
        value_label="Presentations",
        bars=bars,
        more=rest,
    )
