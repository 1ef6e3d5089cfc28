from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from readinggroup.models import Session, SessionStatus, Slot, User
from readinggroup.notes.actions import post_note
from readinggroup.schedule import scheduling
from tests.factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(organizer) -> Session:
    return scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=7), slot_count=2, title="Week 1"
    )


def _slot(session: Session, position: int = 1) -> Slot:
    return session.slots.get(position=position)


def _future(days: int = 10) -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def test_session_create_for_organizer_only(organizer_client, member_client, client) -> None:
    url = reverse("schedule:session_create")
    data = {"title": "Kick-off", "starts_at": _future(), "duration_minutes": 60, "slot_count": 3}
    assert client.get(url)["Location"].startswith(reverse("login"))
    assert member_client.post(url, data).status_code == 403
    assert Session.objects.count() == 0
    response = organizer_client.post(url, data, follow=True)
    session = Session.objects.get()
    assert response.redirect_chain[-1][0] == session.get_absolute_url()
    assert session.slots.count() == 3
    assert "Session scheduled" in response.content.decode()


def test_series_form_creates_weekly_sessions(organizer_client) -> None:
    response = organizer_client.post(
        reverse("schedule:series_create"),
        {
            "title": "Systems",
            "first": "2031-01-09",
            "last": "2031-03-27",
            "time": "16:00",
            "skip": "2031-02-20",
            "slot_count": 2,
            "duration_minutes": 60,
        },
        follow=True,
    )
    assert "Scheduled 11 sessions of “Systems”." in response.content.decode()
    assert Session.objects.filter(series__title="Systems").count() == 11


def test_series_form_bad_skip_date_is_explained(organizer_client) -> None:
    response = organizer_client.post(
        reverse("schedule:series_create"),
        {
            "title": "S",
            "first": "2031-01-09",
            "last": "2031-01-30",
            "time": "16:00",
            "skip": "next tuesday",
            "slot_count": 2,
            "duration_minutes": 60,
        },
    )
    assert response.context["form"].errors["skip"] == [
        "“next tuesday” is not a date like 2026-02-19."
    ]
    assert Session.objects.count() == 0


def test_session_cancel_forbidden_to_members(member_client, organizer_client, session) -> None:
    url = reverse("schedule:session_cancel", args=[session.pk])
    assert member_client.post(url).status_code == 403
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
    organizer_client.post(url)
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED


def test_session_edit_reschedules_and_changes_slots(organizer_client, session) -> None:
    url = reverse("schedule:session_edit", args=[session.pk])
    new_start = _future(days=20)
    organizer_client.post(
        url,
        {"title": "Week 1", "starts_at": new_start, "duration_minutes": 90, "slot_count": 3},
    )
    session.refresh_from_db()
    assert timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M") == new_start
    assert session.slots.count() == 3


def test_claim_with_htmx_returns_slot_fragment(member_client, member, session) -> None:
    paper = PaperFactory(title="Pollux: Co-adaptive Cluster Scheduling")
    response = member_client.post(
        reverse("schedule:slot_claim", args=[_slot(session).pk]),
        {"paper": paper.pk},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode().strip()
    assert html.startswith(f'<article class="card slot" id="slot-{_slot(session).pk}"')
    assert "<html" not in html
    assert "The slot is yours." in html and "Pollux: Co-adaptive Cluster Scheduling" in html
    assert _slot(session).presenter == member


def test_claim_without_javascript_redirects_with_message(member_client, session) -> None:
    paper = PaperFactory()
    response = member_client.post(
        reverse("schedule:slot_claim", args=[_slot(session).pk]), {"paper": paper.pk}, follow=True
    )
    assert response.redirect_chain == [(session.get_absolute_url(), 302)]
    assert "The slot is yours." in response.content.decode()


def test_claim_lost_shows_the_truth(member_client, other_member, session) -> None:
    scheduling.claim_slot(slot=_slot(session), user=other_member, paper=PaperFactory(title="Taken"))
    response = member_client.post(
        reverse("schedule:slot_claim", args=[_slot(session).pk]),
        {"paper": PaperFactory().pk},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "Too late: Otto Other has just taken this slot." in html
    assert '<strong class="presenter">Otto Other</strong>' in html


def test_claim_with_forged_paper_id_is_refused(member_client, session) -> None:
    response = member_client.post(
        reverse("schedule:slot_claim", args=[_slot(session).pk]),
        {"paper": "999999"},
        headers={"HX-Request": "true"},
    )
    assert "Choose a paper to present." in response.content.decode()
    assert _slot(session).presenter is None


def test_assign_forbidden_to_members_allowed_to_organizer(
    member_client, organizer_client, member, session
) -> None:
    url = reverse("schedule:slot_assign", args=[_slot(session).pk])
    paper = PaperFactory()
    assert member_client.post(url, {"presenter": member.pk, "paper": paper.pk}).status_code == 403
    assert _slot(session).presenter is None
    response = organizer_client.post(
        url, {"presenter": member.pk, "paper": paper.pk}, headers={"HX-Request": "true"}
    )
    assert "waiting for confirmation" in response.content.decode()
    slot = _slot(session)
    assert (slot.presenter, slot.paper, slot.is_confirmed) == (member, paper, False)


def test_confirm_by_other_member_is_refused(
    member_client, organizer, other_member, session
) -> None:
    scheduling.assign_slot(
        slot=_slot(session), by=organizer, presenter=other_member, paper=PaperFactory()
    )
    response = member_client.post(
        reverse("schedule:slot_confirm", args=[_slot(session).pk]), follow=True
    )
    assert "no assignment of yours" in response.content.decode()
    assert not _slot(session).is_confirmed


def test_session_detail_shows_slots_and_actions(member_client, session) -> None:
    html = member_client.get(session.get_absolute_url()).content.decode()
    assert html.count("Claim this slot") == 2
    assert "Assign" not in html  # organizers only
    assert "Volunteer as scribe" in html
    assert f'href="/calendar/sessions/{session.pk}.ics"' in html


@pytest.mark.parametrize("papers", [3, 40])
def test_session_detail_query_count_is_fixed(
    organizer_client, django_assert_num_queries, organizer, session, papers: int
) -> None:
    for i in range(papers):
        PaperFactory()
        post_note(author=organizer, body=f"Note {i}", session=session)
    # session, user, the session, slots, picker, members, thread notes, their replies
    with django_assert_num_queries(8):
        html = organizer_client.get(session.get_absolute_url()).content.decode()
    assert html.count('class="note-thread"') == papers
    assert html.count('<option value="">Choose a paper…</option>') == session.slot_count


@pytest.mark.parametrize("papers", [1, 30])
def test_past_session_page_loads_no_paper_picker(
    organizer_client, django_assert_num_queries, organizer, papers: int
) -> None:
    past = scheduling.create_session(
        by=organizer, starts_at=timezone.now() - dt.timedelta(days=3), slot_count=2
    )
    PaperFactory.create_batch(papers)
    post_note(author=organizer, body="What we said", session=past)
    # session, user, the session, slots, thread notes, their replies: nothing to claim
    # or assign once a session has started, so no papers and no members
    with django_assert_num_queries(6):
        html = organizer_client.get(past.get_absolute_url()).content.decode()
    assert "What we said" in html and "Choose a paper" not in html and "Assign" not in html


def _sessions(organizer, *, upcoming: int, past: int) -> None:
    for sign, count in ((1, upcoming), (-1, past)):
        for i in range(count):
            scheduling.create_session(
                by=organizer,
                starts_at=timezone.now() + sign * dt.timedelta(days=i + 1),
                slot_count=2,
                title=f"{'Upcoming' if sign > 0 else 'Past'} {i + 1}",
            )


def _titles(html: str) -> tuple[list[str], list[str]]:
    """The session titles shown in the upcoming and in the past list, in order."""
    import re

    upcoming, _, past = html.partition('id="past-sessions"')
    titles = re.compile(r"</a> · ((?:Upcoming|Past) \d+)</h3>")
    return titles.findall(upcoming), titles.findall(past)


@pytest.mark.parametrize("sessions", [1, 30])
def test_session_list_query_count_is_fixed(
    member_client, django_assert_num_queries, organizer, sessions: int
) -> None:
    _sessions(organizer, upcoming=sessions, past=sessions)
    # session, user, then for upcoming and for past: count, a page, its slots
    with django_assert_num_queries(8):
        response = member_client.get(reverse("schedule:session_list"))
    assert response.content.decode().count("Slot 1 open") == 2 * min(sessions, 20)


def test_session_list_pages_each_list_keeping_the_other(member_client, organizer) -> None:
    _sessions(organizer, upcoming=23, past=21)
    html = member_client.get(reverse("schedule:session_list")).content.decode()
    upcoming, past = _titles(html)
    assert upcoming == [f"Upcoming {i}" for i in range(1, 21)]  # soonest first
    assert past == [f"Past {i}" for i in range(1, 21)]  # latest first
    assert (
        '<a rel="next" href="?upcoming=2" hx-get="?upcoming=2" hx-target="#upcoming-sessions"'
        in html
    )
    assert '<a rel="next" href="?past=2" hx-get="?past=2" hx-target="#past-sessions"' in html

    html = member_client.get(reverse("schedule:session_list"), {"upcoming": "2"}).content.decode()
    assert _titles(html) == (["Upcoming 21", "Upcoming 22", "Upcoming 23"], past)
    assert 'href="?upcoming=2&amp;past=2"' in html  # the past list's next page keeps ours
    assert "Later sessions →" not in html

    html = member_client.get(
        reverse("schedule:session_list"), {"upcoming": "2", "past": "2"}
    ).content
    assert _titles(html.decode()) == (["Upcoming 21", "Upcoming 22", "Upcoming 23"], ["Past 21"])
    assert (
        'href="?upcoming=2&amp;past=1" hx-get="?upcoming=2&amp;past=1" hx-target="#past'
        in html.decode()
    )


@pytest.mark.parametrize("number", ["0", "-1", "two", "9" * 50, "²"])
def test_session_list_bad_page_number_shows_first_page(member_client, organizer, number) -> None:
    _sessions(organizer, upcoming=2, past=1)
    html = member_client.get(
        reverse("schedule:session_list"), {"upcoming": number}
    ).content.decode()
    assert _titles(html) == (["Upcoming 1", "Upcoming 2"], ["Past 1"])


def test_session_list_page_past_the_end_shows_the_last(member_client, organizer) -> None:
    _sessions(organizer, upcoming=2, past=21)
    html = member_client.get(reverse("schedule:session_list"), {"past": "5"}).content.decode()
    assert _titles(html) == (["Upcoming 1", "Upcoming 2"], ["Past 21"])
    assert "Page 2 of 2" in html


def test_session_list_htmx_pager_gets_only_its_list(
    member_client, organizer, django_assert_num_queries
) -> None:
    _sessions(organizer, upcoming=1, past=22)
    # session, user, the past list's count, page, slots
    with django_assert_num_queries(5):
        response = member_client.get(
            reverse("schedule:session_list"),
            {"past": "2"},
            headers={"HX-Request": "true", "HX-Target": "past-sessions"},
        )
    html = response.content.decode().strip()
    assert html.startswith('<section id="past-sessions"') and html.endswith("</section>")
    assert _titles(html) == ([], ["Past 21", "Past 22"])
    assert "<html" not in html and "Upcoming 1" not in html
    assert response["Vary"] == "HX-Request, Cookie"


def test_want_toggle_htmx_and_plain(member_client, member) -> None:
    paper = PaperFactory()
    url = reverse("papers:want_toggle", args=[paper.pk])
    response = member_client.post(url, {"wanted": "1"}, headers={"HX-Request": "true"})
    html = response.content.decode().strip()
    assert html.startswith('<form id="want"')
    assert "1 member wants to read it" in html
    member_client.post(url, {"wanted": "1"})  # a double click changes nothing
    assert paper.wants.count() == 1
    response = member_client.post(url, {"wanted": "0"}, follow=True)
    assert response.redirect_chain == [(paper.get_absolute_url(), 302)]
    assert paper.wants.count() == 0


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _stamp(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%-d %b, %H:%M")


def test_session_detail_says_who_claimed_and_when(other_member, member, member_client, session):
    scheduling.claim_slot(slot=_slot(session), user=member, paper=PaperFactory())
    slot = _slot(session)
    html = _client_for(other_member).get(session.get_absolute_url()).content.decode()
    assert f"Claimed by Mira Member · {_stamp(slot.assigned_at)}</p>" in html
    assert '<span class="badge good">confirmed</span>' in html


def test_unconfirmed_assignment_visible_to_organizers(
    organizer_client, organizer, member, session
) -> None:
    scheduling.assign_slot(
        slot=_slot(session), by=organizer, presenter=member, paper=PaperFactory()
    )
    slot = _slot(session)
    html = organizer_client.get(session.get_absolute_url()).content.decode()
    assert f"Assigned by Olga Organizer · {_stamp(slot.assigned_at)}</p>" in html
    assert '<span class="badge warn">waiting for confirmation</span>' in html
    listing = organizer_client.get(reverse("schedule:session_list")).content.decode()
    assert "<strong>Mira Member</strong>: " in listing
    assert '<span class="muted">(unconfirmed)</span>' in listing


def test_unconfirmed_assignment_offers_confirm_to_the_presenter_only(
    member_client, organizer, member, other_member, session
) -> None:
    scheduling.assign_slot(
        slot=_slot(session), by=organizer, presenter=member, paper=PaperFactory()
    )
    assert "Confirm</button>" in member_client.get(session.get_absolute_url()).content.decode()
    other = _client_for(other_member).get(session.get_absolute_url()).content.decode()
    assert "Confirm</button>" not in other
    assert "waiting for confirmation" in other


@pytest.mark.parametrize("size", [3, 40])
def test_claim_with_htmx_query_count_is_fixed(
    member_client, django_assert_num_queries, organizer, member, session, size: int
) -> None:
    for i in range(size):
        PaperFactory()
        UserFactory()
        post_note(author=organizer, body=f"Note {i}", session=session)
    paper = PaperFactory(title="Pollux")
    url = reverse("schedule:slot_claim", args=[_slot(session).pk])
    # session, user, the slot, the paper, unavailable?, archive, savepoint, claim, touch,
    # release, the fresh slot for the fragment (no picker: it is taken; no notes, no slots)
    with django_assert_num_queries(11):
        response = member_client.post(url, {"paper": paper.pk}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "The slot is yours." in html and "Note 0" not in html and "<html" not in html


@pytest.mark.parametrize("size", [3, 40])
def test_assign_with_htmx_query_count_is_fixed(
    organizer_client, django_assert_num_queries, organizer, member, session, size: int
) -> None:
    for i in range(size):
        PaperFactory()
        UserFactory()
        post_note(author=organizer, body=f"Note {i}", session=session)
    paper = PaperFactory(title="Pollux")
    url = reverse("schedule:slot_assign", args=[_slot(session).pk])
    # session, user, the slot, the presenter, the paper, unavailable?, archive, savepoint,
    # lock, save, touch, release, the fresh slot, the picker and members to assign again
    with django_assert_num_queries(15):
        response = organizer_client.post(
            url, {"presenter": member.pk, "paper": paper.pk}, headers={"HX-Request": "true"}
        )
    html = response.content.decode()
    assert "Slot updated." in html and "Note 0" not in html
    # The assign form is there again, with the members and the picker.
    assert f'<option value="{member.pk}" selected>Mira Member</option>' in html
    assert f'<option value="{paper.pk}" selected>Pollux</option>' in html


def test_claim_second_slot_with_htmx_says_why(member_client, member, session) -> None:
    scheduling.claim_slot(slot=_slot(session, 1), user=member, paper=PaperFactory())
    response = member_client.post(
        reverse("schedule:slot_claim", args=[_slot(session, 2).pk]),
        {"paper": PaperFactory().pk},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "You already present in this session." in html
    assert "Claim this slot" in html  # still open, for someone else
    assert _slot(session, 2).presenter is None
