"""The numbers behind the group's charts: one query per chart."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter

from django.db.models import Count, Q
from django.utils import timezone

from papers.models import Topic
from readinggroup.models import Slot, User

from .charts import Bar, Chart

TERM_MONTHS = 6


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
    """Per topic: papers discussed (presented in a past session that was held) of papers listed."""
    now = now or timezone.now()
    held = Q(listings__paper__in=Slot.objects.presented(now).values("paper"))
    topics = list(
        Topic.objects.select_related("reading_list")
        .annotate(
            listed=Count("listings__paper", distinct=True),
            discussed=Count("listings__paper", filter=held, distinct=True),
        )
        .filter(listed__gt=0)
    )
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
    return Chart(
        chart_id="chart-topic-coverage",
        title="Topic coverage",
        description=(
            f"For each of {len(bars)} topics, how many of the papers it lists were presented "
            "in past sessions (cancelled ones do not count), against how many it lists."
        ),
        label_heading="Topic",
        value_label="Papers discussed",
        total_label="Papers listed",
        detail_label="Reading list",
        bars=bars,
    )


def presentation_load(now: dt.datetime | None = None) -> Chart:
    """Per member: presentations given in the term (the last TERM_MONTHS months until today)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start_day = months_before(today, TERM_MONTHS)
    start = dt.datetime.combine(start_day, dt.time.min, tzinfo=timezone.get_current_timezone())
    in_term = Q(slots__in=Slot.objects.presented(now).filter(session__starts_at__gte=start))
    members = User.objects.annotate(load=Count("slots", filter=in_term)).filter(
        Q(is_active=True) | Q(load__gt=0)
    )
    # By load, then by the name shown (display name, full name or username).
    bars = sorted(
        (Bar(label=m.name, value=m.load) for m in members),
        key=lambda b: (-b.value, b.label.casefold()),
    )
    term = f"{_day(start_day)} to {_day(today)}"
    return Chart(
        chart_id="chart-presentation-load",
        title=f"Presentations per member, {term}",
        description=(
            f"The term is the last {TERM_MONTHS} months until today ({term}). "
            f"{sum(b.value for b in bars)} presentations in sessions held, "
            f"shared among {sum(1 for b in bars if b.value)} of {len(bars)} members."
        ),
        label_heading="Member",
        value_label="Presentations",
        bars=bars,
    )
