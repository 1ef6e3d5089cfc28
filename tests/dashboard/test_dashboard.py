"""The dashboard at "/": each section for a member and an organizer, empty states, queries."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from readinggroup.models import Session, Slot, Unavailability, WantToRead
from readinggroup.notes.actions import post_note, set_hidden
from readinggroup.schedule import scheduling
from tests.dashboard.conftest import days, held_session, new_session, present
from tests.factories import ListingFactory, PaperFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db
HOME = reverse("home")


def _section(html: str, section_id: str) -> str:
    """The HTML of one dashboard section, so assertions do not match another one."""
    start = html.index(f'id="{section_id}"')
    return html[start : html.index("</section>", start)]


def _page(client: Client) -> str:
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def test_dashboard_anonymous_goes_to_login(client) -> None:
    response = client.get(HOME)
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_dashboard_is_the_home_page(member_client) -> None:
    response = member_client.get("/")
    assert response.templates[0].name == "readinggroup/dashboard/dashboard.html"
    assert "Hello, Mira Member" in response.content.decode()


# --- Next session ------------------------------------------------------------------


def test_next_session_in_the_groups_time_zone_with_slots(
    member_client, organizer, member, other_member
) -> None:
    when = dt.datetime(2031, 7, 10, 15, 0, tzinfo=dt.UTC)  # 16:00 in London (summer time)
    session = new_session(
        organizer,
        when,
        slots=3,
        title="Systems week",
        place="Room 4.12",
        video_url="https://meet.example.org/rg",
    )
    paper = PaperFactory(title="Attention Is All You Need")
    scheduling.claim_slot(slot=session.slots.get(position=1), user=member, paper=paper)
    scheduling.assign_slot(
        slot=session.slots.get(position=2), by=organizer, presenter=other_member, paper=None
    )
    new_session(organizer, when + dt.timedelta(days=7), title="Later week")
    cancelled = new_session(organizer, when - dt.timedelta(days=1), title="Called off")
    scheduling.cancel_session(session=cancelled)
    held_session(organizer, 2, [member])

    section = _section(_page(member_client), "next-session")

    assert "Thursday 10 July 2031, 16:00" in section
    assert "Systems week" in section
    assert "Room 4.12" in section
    assert 'href="https://meet.example.org/rg"' in section
    assert f'<a href="{paper.get_absolute_url()}">Attention Is All You Need</a>' in section
    assert "<strong>Mira Member</strong> presents" in section
    assert "<strong>Otto Other</strong> presents" in section
    assert "a paper to be chosen" in section
    assert section.count("unconfirmed") == 1
    open_slot = session.slots.get(position=3)
    assert f'href="{session.get_absolute_url()}#slot-{open_slot.pk}">claim it' in section
    assert reverse("ical:session_ics", args=[session.pk]) in section
    assert "Later week" not in section
    assert "Called off" not in section


def test_next_session_shows_the_video_link_and_scribe(member_client, organizer, other_member):
    session = new_session(organizer, days(2), video_url="https://meet.example.org/x")
    scheduling.volunteer_scribe(session=session, user=other_member)
    section = _section(_page(member_client), "next-session")
    link = '<a href="https://meet.example.org/x" rel="noopener noreferrer">video link</a>'
    assert link in section
    assert "Scribe: <strong>Otto Other</strong>" in section


def test_next_session_empty_state_for_an_organizer(organizer_client) -> None:
    section = _section(_page(organizer_client), "next-session")
    assert "No session is scheduled." in section
    assert f'href="{reverse("schedule:session_create")}">Schedule a session</a>' in section
    assert f'href="{reverse("schedule:series_create")}">schedule a weekly series</a>' in section


def test_next_session_empty_state_for_a_member(member_client, organizer) -> None:
    held_session(organizer, 3, [organizer])
    section = _section(_page(member_client), "next-session")
    assert "No session is scheduled yet." in section
    assert "Schedule a session" not in section
    assert f'href="{reverse("papers:paper_list")}">catalogue</a>' in section


# --- My duties ---------------------------------------------------------------------


@pytest.fixture
def duties(organizer, member, other_member) -> dict[str, Slot | Session]:
    """Mira: one claimed slot, one assignment to confirm, one scribing; Otto: one slot."""
    first = new_session(organizer, days(3), title="First")
    second = new_session(organizer, days(10), title="Second")
    third = new_session(organizer, days(17), title="Third")
    claimed = first.slots.get(position=1)
    scheduling.claim_slot(slot=claimed, user=member, paper=PaperFactory(title="Claimed paper"))
    assigned = second.slots.get(position=1)
    scheduling.assign_slot(
        slot=assigned, by=organizer, presenter=member, paper=PaperFactory(title="Assigned paper")
    )
    scheduling.volunteer_scribe(session=third, user=member)
    scheduling.claim_slot(
        slot=third.slots.get(position=2), user=other_member, paper=PaperFactory(title="Otto's")
    )
    # Not duties: a past presentation and one in a cancelled session.
    held_session(organizer, 5, [member], [PaperFactory(title="Done paper")])
    cancelled = new_session(organizer, days(4), title="Cancelled")
    present(cancelled.slots.first(), member, PaperFactory(title="Cancelled paper"))
    scheduling.cancel_session(session=cancelled)
    return {"claimed": claimed, "assigned": assigned, "third": third}


def test_my_duties_lists_slots_and_scribing_soonest_first(member_client, duties) -> None:
    section = _section(_page(member_client), "my-duties")
    assigned = duties["assigned"]
    assert section.index("Claimed paper") < section.index("Assigned paper")
    assert section.index("Assigned paper") < section.index("you are the scribe")
    assert section.count("waiting for your confirmation") == 1
    confirm = f'href="{assigned.session.get_absolute_url()}#slot-{assigned.pk}"'
    assert f"{confirm}>Confirm or decline on the session page</a>" in section
    assert "Third" in section
    for absent in ("Done paper", "Cancelled paper", "Otto&#x27;s"):
        assert absent not in section


def test_my_duties_are_my_own(request, duties) -> None:
    other = Client()
    other.force_login(request.getfixturevalue("other_member"))
    section = _section(_page(other), "my-duties")
    assert "Otto&#x27;s" in section
    assert "Claimed paper" not in section
    assert "you are the scribe" not in section
    assert "waiting for your confirmation" not in section


def test_my_duties_empty_state_for_an_organizer(organizer_client, organizer) -> None:
    new_session(organizer, days(3))
    section = _section(_page(organizer_client), "my-duties")
    assert "Nothing to present or write up. Claim one of the open slots below." in section


def test_waiting_for_confirmation_is_for_organizers(
    organizer_client, member_client, duties
) -> None:
    section = _section(_page(organizer_client), "waiting")
    assigned = duties["assigned"]
    assert f'href="{assigned.session.get_absolute_url()}#slot-{assigned.pk}"' in section
    assert "<strong>Mira Member</strong> · Assigned paper has not confirmed yet" in section
    assert "Claimed paper" not in section
    assert 'id="waiting"' not in _page(member_client)


def test_waiting_for_confirmation_empty_state(organizer_client) -> None:
    section = _section(_page(organizer_client), "waiting")
    assert "Every presenter has confirmed their assignment." in section


# --- Open slots --------------------------------------------------------------------


def test_open_slots_skip_full_cancelled_locked_and_unavailable_days(
    member_client, organizer, member, other_member
) -> None:
    london = ZoneInfo("Europe/London")
    # 00:30 in London on 11 July is still 10 July in UTC: unavailability is by local day.
    new_session(organizer, dt.datetime(2031, 7, 11, 0, 30, tzinfo=london), title="Away")
    Unavailability.objects.create(user=member, date=dt.date(2031, 7, 11))
    Unavailability.objects.create(user=other_member, date=dt.date(2031, 7, 12))
    free_day = dt.datetime(2031, 7, 12, 16, tzinfo=london)
    free = new_session(organizer, free_day, slots=3, title="Free")
    locked = free.slots.get(position=3)
    Slot.objects.filter(pk=locked.pk).update(locked=True)
    full = new_session(organizer, days(5), slots=1, title="Full")
    present(full.slots.get(), other_member)
    cancelled = new_session(organizer, days(6), title="Off")
    scheduling.cancel_session(session=cancelled)
    held_session(organizer, 3, [other_member])

    section = _section(_page(member_client), "open-slots")

    assert "Free" in section
    assert "2 open slots" in section
    assert f'href="{free.get_absolute_url()}">choose a paper and claim</a>' in section
    for title in ("Away", "Full", "Off"):
        assert f" · {title}:" not in section
    # Otto is away on the 12th, so the same session is not offered to him.
    otto = Client()
    otto.force_login(other_member)
    otto_section = _section(_page(otto), "open-slots")
    assert " · Free:" not in otto_section
    assert " · Away:" in otto_section


def test_open_slots_empty_state(member_client, organizer_client) -> None:
    assert "See all <a" in _section(_page(member_client), "open-slots")
    section = _section(_page(organizer_client), "open-slots")
    assert "No open slots on days you are available." in section
    assert f'<a href="{reverse("schedule:session_create")}">Schedule a session</a>' in section


# --- Most wanted papers ------------------------------------------------------------


def test_most_wanted_unscheduled_papers_by_want_count(
    member_client, organizer, member, other_member
) -> None:
    popular = PaperFactory(title="Popular paper")
    liked = PaperFactory(title="Liked paper")
    scheduled = PaperFactory(title="Scheduled paper")
    discussed = PaperFactory(title="Discussed paper")
    PaperFactory(title="Unwanted paper")
    fans = [member, other_member, organizer]
    for paper, wanted_by in [(popular, fans), (liked, [other_member]), (scheduled, fans)]:
        for user in wanted_by:
            WantToRead.objects.create(user=user, paper=paper)
    WantToRead.objects.create(user=member, paper=discussed)
    present(new_session(organizer, days(4)).slots.first(), other_member, scheduled)
    held_session(organizer, 4, [other_member], [discussed])

    section = _section(_page(member_client), "most-wanted")

    assert section.index("Popular paper") < section.index("Liked paper")
    assert f'<a href="{popular.get_absolute_url()}">Popular paper</a>' in section
    assert "3 wants" in section
    assert "1 want<" in section
    assert section.count("(you too)") == 1
    for absent in ("Scheduled paper", "Discussed paper", "Unwanted paper"):
        assert absent not in section


def test_most_wanted_empty_state(organizer_client) -> None:
    section = _section(_page(organizer_client), "most-wanted")
    assert "No wishes yet." in section
    assert "want to read" in section


# --- Recent notes ------------------------------------------------------------------


def test_recent_notes_keep_hidden_notes_hidden(
    member_client, organizer_client, organizer, member, other_member
) -> None:
    paper = PaperFactory(title="Noted paper")
    session = new_session(organizer, days(2), title="Noted session")
    shown = post_note(author=other_member, paper=paper, body="Great **results** & nice plots")
    on_session = post_note(author=organizer, session=session, body="Agenda for the session")
    hidden = post_note(author=other_member, paper=paper, body="Off-topic rant")
    set_hidden(note=hidden, hidden=True)

    member_section = _section(_page(member_client), "recent-notes")
    organizer_section = _section(_page(organizer_client), "recent-notes")

    assert f'href="{paper.get_absolute_url()}#note-{shown.pk}">Great results &amp; nice plots' in (
        member_section
    )
    assert f'href="{session.get_absolute_url()}#note-{on_session.pk}"' in member_section
    assert "Otto Other on Noted paper" in member_section
    assert "Off-topic rant" not in member_section
    assert "Off-topic rant" in organizer_section
    assert member_section.index("Agenda") < member_section.index("Great")


def test_recent_notes_empty_state(member_client) -> None:
    section = _section(_page(member_client), "recent-notes")
    assert "No notes yet. Start a discussion" in section


# --- Calendar and charts -----------------------------------------------------------


def test_calendar_section_links_to_the_subscribe_page(member_client, member) -> None:
    section = _section(_page(member_client), "calendar")
    assert f'<a href="{reverse("ical:subscribe")}">Subscribe to the sessions</a>' in section
    member.calendar_token = "x" * 43
    member.save()
    assert "Manage my calendar link" in _section(_page(member_client), "calendar")


def test_charts_on_the_dashboard_with_data_tables(
    organizer_client, organizer, member, other_member
) -> None:
    topic = TopicFactory(name="<script>alert('topic')</script>")
    papers = [ListingFactory(topic=topic).paper for _ in range(4)]
    evil = UserFactory(username="evil", display_name="<script>alert('name')</script>")
    held_session(organizer, 15, [member, evil], papers[:2])

    html = _page(organizer_client)
    section = _section(html, "group-stats")

    assert "<script>alert" not in html
    svgs = [
        ET.fromstring(section[start : section.index("</svg>", start) + len("</svg>")])
        for start in [section.index("<svg"), section.index("<svg", section.index("<svg") + 1)]
    ]
    ns = {"svg": "http://www.w3.org/2000/svg"}
    coverage, load = svgs
    assert coverage.find("svg:title", ns).text == "Topic coverage"
    bar = coverage.find("svg:g/svg:rect[@class='chart-bar']", ns)
    assert (bar.get("data-value"), bar.get("width")) == ("2", "155.00")
    loads = {
        g.find("svg:text", ns).text: g.find("svg:rect", ns).get("data-value")
        for g in load.findall("svg:g", ns)
    }
    assert loads == {
        "Mira Member": "1",
        "<script>alert('name')</script>": "1",
        "Olga Organizer": "0",
        "Otto Other": "0",
    }
    assert load.find("svg:title", ns).text.startswith("Presentations per member, ")
    assert '<table class="visually-hidden">' in section
    assert '<th scope="row">&lt;script&gt;alert(&#x27;topic&#x27;)&lt;/script&gt;</th>' in section
    assert "<td>2</td><td>4</td>" in section


def test_charts_empty_state_for_an_organizer(organizer_client) -> None:
    section = _section(_page(organizer_client), "group-stats")
    assert "Nothing to chart yet." in section
    assert f'<a href="{reverse("papers:import")}">Import a reading list</a>' in section


# --- Queries -----------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 4])
def test_dashboard_query_count_for_a_member_does_not_grow(
    member_client, busy_group, size, django_assert_num_queries
) -> None:
    busy_group(size)
    # Login session and user, next session and its slots, my slots, my scribing, open
    # slots, wanted papers, which of them I want, notes, two charts (three small
    # queries each).
    with django_assert_num_queries(16):
        html = _page(member_client)
    assert html.count("waiting for your confirmation") == size
    assert html.count("you are the scribe") == size


@pytest.mark.parametrize("size", [1, 4])
def test_dashboard_query_count_for_an_organizer_does_not_grow(
    organizer_client, busy_group, size, django_assert_num_queries
) -> None:
    busy_group(size)
    with django_assert_num_queries(17):  # the member's sixteen and the unconfirmed slots
        html = _page(organizer_client)
    assert html.count("has not confirmed yet") == size


def test_load_chart_on_the_dashboard_includes_me_beyond_the_busiest(
    member_client, organizer, member
) -> None:
    from readinggroup.dashboard import stats

    busy = [UserFactory(display_name=f"Busy {i:02d}") for i in range(stats.TOP_MEMBERS)]
    for days_ago in (20, 13):  # everyone busy presents twice; a session has at most 12 slots
        for first in range(0, len(busy), 5):
            held_session(organizer, days_ago + first / 10, busy[first : first + 5])
    held_session(organizer, 6, [member])

    charts = _section(_page(member_client), "group-stats")

    assert "Mira Member" in charts  # the 16th presenter, drawn because it is me
    assert "Otto Other" not in charts
