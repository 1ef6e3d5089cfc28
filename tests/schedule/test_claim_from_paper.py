from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from readinggroup.models import Session, Unavailability, User
from readinggroup.schedule import scheduling
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def _session(by: User, days: int, *, slots: int = 2, title: str = "") -> Session:
    return scheduling.create_session(
        by=by,
        starts_at=timezone.now() + dt.timedelta(days=days),
        slot_count=slots,
        title=title,
    )


def _when(session: Session) -> str:
    return timezone.localtime(session.starts_at).strftime("%a %-d %b %Y, %H:%M")


@pytest.fixture
def paper():
    return PaperFactory(title="Pollux: Co-adaptive Cluster Scheduling")


def test_paper_page_offers_open_slots_of_upcoming_sessions(
    member_client, organizer, other_member, paper
) -> None:
    soon = _session(organizer, 3, title="Week 1")
    later = _session(organizer, 10, slots=1, title="Week 2")
    _session(organizer, -3, title="Past")
    cancelled = _session(organizer, 5, title="Cancelled")
    scheduling.cancel_session(session=cancelled)
    scheduling.claim_slot(slot=soon.slots.get(position=1), user=other_member, paper=PaperFactory())
    locked = later.slots.get()
    scheduling.assign_slot(slot=locked, by=organizer, presenter=None, paper=None, locked=True)
    html = member_client.get(paper.get_absolute_url()).content.decode()
    assert "<h2>Present this paper</h2>" in html
    # Only slot 2 of week 1 is open: week 2's only slot is locked, the rest past or cancelled.
    open_slot = soon.slots.get(position=2)
    assert html.count("Present here</button>") == 1
    assert f'formaction="{reverse("schedule:slot_claim", args=[open_slot.pk])}"' in html
    assert f'{_when(soon)} · Week 1 <span class="muted">· slot 2</span>' in html
    assert f'<input type="hidden" name="paper" value="{paper.pk}">' in html


def test_paper_page_without_open_slots_says_so(member_client, paper) -> None:
    html = member_client.get(paper.get_absolute_url()).content.decode()
    assert "No open slot in the upcoming sessions." in html
    assert "Schedule a session" not in html  # organizers only


def test_claim_from_paper_page_lands_on_the_session(member_client, member, organizer, paper):
    session = _session(organizer, 3, title="Week 1")
    slot = session.slots.get(position=2)
    response = member_client.post(
        reverse("schedule:slot_claim", args=[slot.pk]),
        {"paper": paper.pk, "next": paper.get_absolute_url()},
        follow=True,
    )
    assert response.redirect_chain == [(session.get_absolute_url(), 302)]
    assert "The slot is yours." in response.content.decode()
    slot.refresh_from_db()
    assert (slot.presenter, slot.paper) == (member, paper)
    # Now the paper page says where and by whom, and offers no slot.
    html = member_client.get(paper.get_absolute_url()).content.decode()
    assert "<h2>Scheduled</h2>" in html
    text = " ".join(html.split())
    assert (
        f'<strong>Mira Member</strong> presents it on <a href="{session.get_absolute_url()}'
        f'#slot-{slot.pk}">{_when(session)} · Week 1</a>, slot 2.'
    ) in text
    assert "Present here" not in html


def test_claim_from_paper_page_refused_returns_to_the_paper(
    member_client, member, other_member, organizer, paper
) -> None:
    session = _session(organizer, 3)
    slot = session.slots.get(position=1)
    scheduling.claim_slot(slot=slot, user=other_member, paper=PaperFactory())
    response = member_client.post(
        reverse("schedule:slot_claim", args=[slot.pk]),
        {"paper": paper.pk, "next": paper.get_absolute_url()},
        follow=True,
    )
    assert response.redirect_chain == [(paper.get_absolute_url(), 302)]
    assert "Too late: Otto Other has just taken this slot." in response.content.decode()
    Unavailability.objects.create(user=member, date=timezone.localtime(session.starts_at).date())
    response = member_client.post(
        reverse("schedule:slot_claim", args=[session.slots.get(position=2).pk]),
        {"paper": paper.pk, "next": paper.get_absolute_url()},
        follow=True,
    )
    assert "You marked that day as unavailable" in response.content.decode()
    assert not paper.slots.exists()


def test_claim_next_to_another_site_is_ignored(member_client, other_member, organizer, paper):
    session = _session(organizer, 3)
    slot = session.slots.get(position=1)
    scheduling.claim_slot(slot=slot, user=other_member, paper=PaperFactory())
    response = member_client.post(
        reverse("schedule:slot_claim", args=[slot.pk]),
        {"paper": paper.pk, "next": "https://evil.example/"},
    )
    assert response["Location"] == session.get_absolute_url()


def test_paper_scheduled_by_assignment_shows_confirmation_state(
    member_client, member, organizer, paper
) -> None:
    session = _session(organizer, 3)
    slot = session.slots.get(position=1)
    scheduling.assign_slot(slot=slot, by=organizer, presenter=member, paper=paper)
    html = member_client.get(paper.get_absolute_url()).content.decode()
    assert "<strong>Mira Member</strong> presents it" in html
    assert "(waiting for confirmation)" in html


@pytest.mark.parametrize("sessions", [1, 8])
def test_paper_page_query_count_is_fixed(
    member_client, organizer, django_assert_num_queries, paper, sessions: int
) -> None:
    for day in range(sessions):
        _session(organizer, day + 1, slots=3)
    # session, user, paper, listings, wants, where it is scheduled, the open slots,
    # notes (no notes: no replies query).
    with django_assert_num_queries(8):
        response = member_client.get(paper.get_absolute_url())
    assert response.content.decode().count("Present here</button>") == 3 * sessions
