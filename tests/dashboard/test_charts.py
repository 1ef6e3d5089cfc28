"""The SVG charts: markup, values, escaping, and the numbers behind them."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from readinggroup.dashboard import charts, stats
from readinggroup.dashboard.charts import Bar, Chart
from readinggroup.dashboard.stats import months_before, presentation_load, topic_coverage
from readinggroup.models import Session, SessionStatus
from tests.dashboard.conftest import days, held_session, new_session, present
from tests.factories import ListingFactory, ReadingListFactory, TopicFactory

NS = {"svg": charts.SVG_NS}


def _chart(bars: list[Bar], **fields) -> Chart:
    defaults = {
        "chart_id": "chart-test",
        "title": "Test chart",
        "description": "What it shows",
        "label_heading": "Topic",
        "value_label": "Discussed",
        "total_label": "Listed",
    }
    return Chart(bars=bars, **(defaults | fields))


def _svg(chart: Chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))


def _rows(root: ET.Element) -> list[dict]:
    rows = []
    for row in root.findall("svg:g", NS):
        label = row.find("svg:text[@class='chart-label']", NS)
        bar = row.find("svg:rect[@class='chart-bar']", NS)
        track = row.find("svg:rect[@class='chart-track']", NS)
        rows.append(
            {
                "label": label.text,
                "value": int(bar.get("data-value")),
                "width": float(bar.get("width")),
                "total": int(track.get("data-total")) if track is not None else None,
                "track": float(track.get("width")) if track is not None else None,
                "text": row.find("svg:text[@class='chart-value']", NS).text,
            }
        )
    return rows


# --- Markup ------------------------------------------------------------------------


def test_chart_svg_is_an_accessible_scalable_image() -> None:
    root = _svg(_chart([Bar("Storage", 1, 4), Bar("Networks", 2, 2)]))
    assert root.tag == f"{{{charts.SVG_NS}}}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-test-title chart-test-desc"
    assert root.get("viewBox") == f"0 0 640 {8 * 2 + 26 * 2}"
    assert "width" not in root.attrib and "height" not in root.attrib
    assert root.find("svg:title", NS).text == "Test chart"
    assert root.find("svg:title", NS).get("id") == "chart-test-title"
    assert root.find("svg:desc", NS).text == "What it shows"
    assert root.find("svg:desc", NS).get("id") == "chart-test-desc"


def test_chart_bar_lengths_are_proportional_to_values() -> None:
    rows = _rows(_svg(_chart([Bar("Storage", 1, 4), Bar("Networks", 2, 2), Bar("Empty", 0, 3)])))
    assert rows == [
        {
            "label": "Storage",
            "value": 1,
            "width": 77.5,
            "total": 4,
            "track": 310.0,
            "text": "1 of 4",
        },
        {
            "label": "Networks",
            "value": 2,
            "width": 155.0,
            "total": 2,
            "track": 155.0,
            "text": "2 of 2",
        },
        {"label": "Empty", "value": 0, "width": 0.0, "total": 3, "track": 232.5, "text": "0 of 3"},
    ]


def test_chart_without_totals_draws_bars_only() -> None:
    rows = _rows(_svg(_chart([Bar("Mira", 3), Bar("Otto", 0)], total_label="")))
    assert [(r["label"], r["value"], r["width"], r["total"], r["text"]) for r in rows] == [
        ("Mira", 3, 310.0, None, "3"),
        ("Otto", 0, 0.0, None, "0"),
    ]


def test_chart_all_zero_values_draw_empty_bars() -> None:
    rows = _rows(_svg(_chart([Bar("Mira", 0)], total_label="")))
    assert rows[0]["width"] == 0.0


def test_chart_escapes_labels_titles_and_descriptions() -> None:
    evil = "<script>alert('x')</script>"
    chart = _chart(
        [Bar(evil, 1, 2), Bar('"><img src=x onerror=alert(1)>', 1, 1)],
        title=f"Title {evil}",
        description=f"Desc & {evil}",
    )
    markup = str(chart.svg)
    assert "<script" not in markup
    assert "<img" not in markup
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in markup
    root = ET.fromstring(markup)  # still well-formed XML
    assert root.find("svg:title", NS).text == f"Title {evil}"
    assert root.find("svg:desc", NS).text == f"Desc & {evil}"
    assert [r["label"] for r in _rows(root)] == [evil, '"><img src=x onerror=alert(1)>']


def test_chart_strips_control_characters_so_the_svg_stays_valid() -> None:
    root = _svg(_chart([Bar("Bell\x07 topic\x00", 1, 1)]))
    assert _rows(root)[0]["label"] == "Bell topic"


def test_chart_long_labels_are_shortened_with_the_full_name_on_hover() -> None:
    long = "Distributed systems and the many ways they fail in production"
    root = _svg(_chart([Bar(long, 1, 1)]))
    label = root.find("svg:g/svg:text[@class='chart-label']", NS)
    assert label.text == "Distributed systems and the many…"
    assert label.find("svg:title", NS).text == long


# --- Topic coverage ----------------------------------------------------------------


@pytest.mark.django_db
def test_topic_coverage_counts_papers_presented_in_held_sessions(
    organizer, member, other_member
) -> None:
    topic = TopicFactory(name="Scheduling")
    held, cancelled_paper, upcoming_paper, _unread = (
        ListingFactory(topic=topic).paper for _ in range(4)
    )
    ListingFactory(topic=TopicFactory(name="Caching"), paper=held)
    TopicFactory(name="Nothing listed")
    # Presented twice: still one paper discussed.
    held_session(organizer, 30, [member], [held])
    held_session(organizer, 20, [other_member], [held])
    cancelled = held_session(organizer, 10, [member], [cancelled_paper])
    Session.objects.filter(pk=cancelled.pk).update(status=SessionStatus.CANCELLED)
    present(new_session(organizer, days(5)).slots.first(), member, upcoming_paper)

    chart = topic_coverage()

    values = {r["label"]: (r["value"], r["total"]) for r in _rows(_svg(chart))}
    assert values == {"Scheduling": (1, 4), "Caching": (1, 1)}
    assert chart.title == "Topic coverage"


@pytest.mark.django_db
def test_topic_coverage_names_the_list_when_two_topics_share_a_name() -> None:
    for name in ("Alpha list", "Beta list"):
        reading_list = ReadingListFactory(name=name)
        ListingFactory(topic=TopicFactory(name="Systems", reading_list=reading_list))
    ListingFactory(topic=TopicFactory(name="Unique"))
    labels = sorted(b.label for b in topic_coverage().bars)
    assert labels == ["Systems (Alpha list)", "Systems (Beta list)", "Unique"]


@pytest.mark.django_db
def test_topic_coverage_escapes_topic_names_in_the_svg() -> None:
    ListingFactory(topic=TopicFactory(name="<script>alert(1)</script>"))
    markup = str(topic_coverage().svg)
    assert "<script>" not in markup
    assert _rows(ET.fromstring(markup))[0]["label"] == "<script>alert(1)</script>"


# --- Presentation load -------------------------------------------------------------


def test_months_before_clamps_to_the_end_of_shorter_months() -> None:
    assert months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2028, 8, 31), 6) == dt.date(2028, 2, 29)
    assert months_before(dt.date(2026, 3, 15), 6) == dt.date(2025, 9, 15)
    assert months_before(dt.date(2026, 1, 1), 12) == dt.date(2025, 1, 1)


@pytest.mark.django_db
def test_presentation_load_counts_the_terms_held_sessions_per_member(
    organizer, member, other_member
) -> None:
    from tests.factories import UserFactory

    gone = UserFactory(username="gone", display_name="Gone Member", is_active=False)
    UserFactory(username="ghost", display_name="Ghost Member", is_active=False)
    held_session(organizer, 10, [member, other_member])
    held_session(organizer, 100, [member, gone])
    held_session(organizer, 8 * 30, [other_member])  # before the term
    cancelled = held_session(organizer, 5, [other_member])
    Session.objects.filter(pk=cancelled.pk).update(status=SessionStatus.CANCELLED)
    present(new_session(organizer, days(3)).slots.first(), other_member)  # not held yet

    chart = presentation_load()

    assert [(b.label, b.value) for b in chart.bars] == [
        ("Mira Member", 2),
        ("Gone Member", 1),
        ("Otto Other", 1),
        ("Olga Organizer", 0),
    ]
    today = timezone.localdate()
    start = months_before(today, 6)
    term = f"{start.day} {start:%b %Y} to {today.day} {today:%b %Y}"
    assert chart.title == f"Presentations per member, {term}"
    assert f"The term is the last 6 months until today ({term})." in chart.description
    rows = _rows(_svg(chart))
    assert [(r["label"], r["value"], r["width"]) for r in rows] == [
        ("Mira Member", 2, 310.0),
        ("Gone Member", 1, 155.0),
        ("Otto Other", 1, 155.0),
        ("Olga Organizer", 0, 0.0),
    ]


@pytest.mark.django_db
def test_presentation_load_escapes_member_names(organizer) -> None:
    from tests.factories import UserFactory

    UserFactory(username="evil", display_name="<script>alert('m')</script>")
    markup = str(presentation_load().svg)
    assert "<script>" not in markup
    labels = [r["label"] for r in _rows(ET.fromstring(markup))]
    assert "<script>alert('m')</script>" in labels


# --- Bounded at any size ------------------------------------------------------------


@pytest.mark.django_db
def test_topic_coverage_draws_the_topics_listing_most_papers_and_counts_the_rest() -> None:
    for i in range(stats.TOP_TOPICS + 2):  # topic i lists i + 1 papers
        topic = TopicFactory(name=f"Topic {i:02d}")
        for _ in range(i + 1):
            ListingFactory(topic=topic)

    chart = topic_coverage()

    root = _svg(chart)
    rows = _rows(root)
    assert [(r["label"], r["total"]) for r in rows] == [
        (f"Topic {i:02d}", i + 1) for i in range(stats.TOP_TOPICS + 1, 1, -1)
    ]
    more = root.find("svg:text[@class='chart-more']", NS)
    assert more.text == "and 2 more topics"
    assert root.get("viewBox") == f"0 0 640 {8 * 2 + 26 * (stats.TOP_TOPICS + 1)}"
    assert chart.title == "Topic coverage: the topics listing the most papers"
    assert "the 12 topics listing the most papers" in chart.description
    assert "Not drawn: and 2 more topics." in chart.description


@pytest.mark.django_db
def test_topic_coverage_few_topics_have_no_more_line() -> None:
    ListingFactory(topic=TopicFactory(name="Only"))
    root = _svg(topic_coverage())
    assert root.find("svg:text[@class='chart-more']", NS) is None


@pytest.mark.django_db
def test_presentation_load_draws_the_busiest_and_you_and_sums_up_the_others(
    organizer, member, other_member
) -> None:
    from tests.factories import UserFactory

    busy = [UserFactory(display_name=f"Busy {i:02d}") for i in range(stats.TOP_MEMBERS)]
    for i, person in enumerate(busy):
        held_session(organizer, 10 + i, [person])
        if i < 5:
            held_session(organizer, 30 + i, [person])
    # Mira presented once, like ten of the busy ones, but sorts after them by name.
    held_session(organizer, 50, [member])
    UserFactory(display_name="Zed Once")
    held_session(organizer, 51, [UserFactory(display_name="Zoe Once")])

    chart = presentation_load(user=member)

    rows = _rows(_svg(chart))
    expected = [(f"Busy {i:02d}", 2) for i in range(5)]
    expected += [(f"Busy {i:02d}", 1) for i in range(5, stats.TOP_MEMBERS)]
    assert [(r["label"], r["value"]) for r in rows] == [*expected, ("Mira Member", 1)]
    more = _svg(chart).find("svg:text[@class='chart-more']", NS)
    # Olga, Otto and Zed never presented; Zoe once.
    assert more.text == "4 other members presented 0\N{EN DASH}1 times"
    assert "22 presentations in sessions held, shared among 17 of 20 members." in (
        chart.description
    )
    assert "Drawn: the 15 members who presented most and you;" in chart.description

    # Someone else sees the same busiest fifteen, and Mira among the others.
    chart = presentation_load(user=other_member)
    assert [b.label for b in chart.bars] == [label for label, _ in expected]
    assert chart.more == "5 other members presented 0\N{EN DASH}1 times"


@pytest.mark.django_db
def test_presentation_load_you_are_not_added_if_you_did_not_present(organizer, member) -> None:
    from tests.factories import UserFactory

    for i in range(stats.TOP_MEMBERS + 1):
        held_session(organizer, 10 + i, [UserFactory(display_name=f"Busy {i:02d}")])
    chart = presentation_load(user=member)
    assert "Mira Member" not in [b.label for b in chart.bars]
    assert len(chart.bars) == stats.TOP_MEMBERS
    assert chart.more == "3 other members presented 0\N{EN DASH}1 times"
