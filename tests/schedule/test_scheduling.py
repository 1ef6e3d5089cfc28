"""The scheduling rules, in the domain functions and in the database."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from papers.wants import set_want
from readinggroup.models import Session, SessionStatus, Slot, Unavailability
from readinggroup.schedule import scheduling, slides
from readinggroup.schedule.scheduling import SchedulingError
from tests.factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(organizer):
    return scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=7), slot_count=2
    )


def _slot(session, position=1) -> Slot:
    return session.slots.get(position=position)


def test_create_session_makes_its_slots(session) -> None:
    assert list(session.slots.values_list("position", "presenter", "upcoming")) == [
        (1, None, True),
        (2, None, True),
    ]


def test_series_weekly_with_skips_keeps_local_time_across_dst(organizer, settings) -> None:
    settings.TIME_ZONE = "Europe/London"
    with timezone.override(zoneinfo.ZoneInfo("Europe/London")):
        series = scheduling.create_series(
            by=organizer,
            title="Systems reading",
            first=dt.date(2027, 3, 11),
            last=dt.date(2027, 4, 8),
            time=dt.time(16, 0),
            slot_count=2,
            skip={dt.date(2027, 3, 25)},
        )
        starts = [timezone.localtime(s.starts_at) for s in series.sessions.order_by("starts_at")]
    assert [s.date() for s in starts] == [
        dt.date(2027, 3, 11),
        dt.date(2027, 3, 18),
        dt.date(2027, 4, 1),
        dt.date(2027, 4, 8),
    ]
    assert {s.time() for s in starts} == {dt.time(16, 0)}
    # 16:00 GMT before the switch on 28 March, 16:00 BST (15:00 UTC) after it.
    utc = [s.astimezone(dt.UTC).hour for s in starts]
    assert utc == [16, 16, 15, 15]
    assert Slot.objects.filter(session__series=series).count() == 8


def test_series_ending_before_it_starts_is_refused(organizer) -> None:
    with pytest.raises(SchedulingError, match="ends before it starts"):
        scheduling.series_dates(first=dt.date(2027, 2, 1), last=dt.date(2027, 1, 1))


def test_claim_open_slot_makes_member_confirmed_presenter(session, member) -> None:
    paper = PaperFactory()
    scheduling.claim_slot(slot=_slot(session), user=member, paper=paper)
    slot = _slot(session)
    assert (slot.presenter, slot.paper, slot.assigned_by) == (member, paper, member)
    assert slot.is_confirmed


def test_claim_taken_slot_says_who_won(session, member, other_member) -> None:
    scheduling.claim_slot(slot=_slot(session), user=member, paper=PaperFactory())
    with pytest.raises(SchedulingError, match=r"Too late: Mira Member has just taken this slot\."):
        scheduling.claim_slot(slot=_slot(session), user=other_member, paper=PaperFactory())
    assert _slot(session).presenter == member


def test_claim_paper_already_scheduled_upcoming_is_refused(session, member, other_member):
    paper = PaperFactory(title="Orca: A Distributed Serving System")
    scheduling.claim_slot(slot=_slot(session, 1), user=member, paper=paper)
    with pytest.raises(SchedulingError, match="already scheduled in an upcoming session"):
        scheduling.claim_slot(slot=_slot(session, 2), user=other_member, paper=paper)
    assert _slot(session, 2).presenter is None


def test_database_refuses_same_paper_in_two_upcoming_slots(session) -> None:
    paper = PaperFactory()
    Slot.objects.filter(pk=_slot(session, 1).pk).update(paper=paper)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=_slot(session, 2).pk).update(paper=paper)


def test_database_refuses_confirmation_without_presenter(session) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=_slot(session).pk).update(confirmed_at=timezone.now())


def test_paper_presented_in_past_session_can_be_scheduled_again(organizer, member) -> None:
    paper = PaperFactory()
    past = scheduling.create_session(
        by=organizer, starts_at=timezone.now() - dt.timedelta(days=7), slot_count=1
    )
    Slot.objects.filter(session=past).update(paper=paper, presenter=member)
    future = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=7), slot_count=1
    )
    scheduling.claim_slot(slot=_slot(future), user=member, paper=paper)
    assert _slot(future).paper == paper


def test_claim_on_past_or_cancelled_session_is_refused(organizer, member) -> None:
    past = scheduling.create_session(
        by=organizer, starts_at=timezone.now() - dt.timedelta(hours=1), slot_count=1
    )
    with pytest.raises(SchedulingError, match="already taken place"):
        scheduling.claim_slot(slot=_slot(past), user=member, paper=PaperFactory())
    future = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=1), slot_count=1
    )
    scheduling.cancel_session(session=future)
    future.refresh_from_db()
    assert future.status == SessionStatus.CANCELLED
    with pytest.raises(SchedulingError, match="cancelled"):
        scheduling.claim_slot(slot=_slot(future), user=member, paper=PaperFactory())


def test_cancel_frees_the_papers_of_the_session(session, organizer, member) -> None:
    paper = PaperFactory()
    scheduling.claim_slot(slot=_slot(session), user=member, paper=paper)
    scheduling.cancel_session(session=session)
    other = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=14), slot_count=1
    )
    scheduling.claim_slot(slot=_slot(other), user=member, paper=paper)
    assert _slot(other).paper == paper


def test_claim_on_unavailable_day_refused_but_organizer_can_assign(session, member, organizer):
    day = timezone.localtime(session.starts_at).date()
    Unavailability.objects.create(user=member, date=day)
    with pytest.raises(SchedulingError, match="marked that day as unavailable"):
        scheduling.claim_slot(slot=_slot(session), user=member, paper=PaperFactory())
    result = scheduling.assign_slot(
        slot=_slot(session), by=organizer, presenter=member, paper=PaperFactory()
    )
    assert result.warnings == ["Mira Member marked that day as unavailable."]
    assert _slot(session).presenter == member


def test_locked_slot_cannot_be_claimed(session, organizer, member) -> None:
    scheduling.assign_slot(
        slot=_slot(session), by=organizer, presenter=None, paper=None, locked=True
    )
    with pytest.raises(SchedulingError, match="locked by the organizers"):
        scheduling.claim_slot(slot=_slot(session), user=member, paper=PaperFactory())


def test_release_only_by_presenter(session, member, other_member) -> None:
    scheduling.claim_slot(slot=_slot(session), user=member, paper=PaperFactory())
    with pytest.raises(SchedulingError, match="not yours to release"):
        scheduling.release_slot(slot=_slot(session), user=other_member)
    scheduling.release_slot(slot=_slot(session), user=member)
    slot = _slot(session)
    assert (slot.presenter, slot.paper, slot.confirmed_at) == (None, None, None)


def test_assignment_waits_for_confirmation_then_confirm(session, organizer, member) -> None:
    scheduling.assign_slot(
        slot=_slot(session), by=organizer, presenter=member, paper=PaperFactory()
    )
    slot = _slot(session)
    assert (slot.presenter, slot.assigned_by, slot.is_confirmed) == (member, organizer, False)
    scheduling.confirm_slot(slot=slot, user=member)
    assert _slot(session).is_confirmed
    with pytest.raises(SchedulingError):
        scheduling.confirm_slot(slot=slot, user=member)


def test_decline_reopens_the_slot(session, organizer, member, other_member) -> None:
    scheduling.assign_slot(
        slot=_slot(session), by=organizer, presenter=member, paper=PaperFactory()
    )
    with pytest.raises(SchedulingError):
        scheduling.decline_slot(slot=_slot(session), user=other_member)
    scheduling.decline_slot(slot=_slot(session), user=member)
    assert _slot(session).is_open


def test_assign_expecting_open_slot_leaves_a_taken_or_locked_slot_alone(
    session, organizer, member, other_member
) -> None:
    scheduling.claim_slot(slot=_slot(session), user=other_member, paper=PaperFactory())
    with pytest.raises(SchedulingError, match=r"^Otto Other took slot 1 meanwhile\.$"):
        scheduling.assign_slot(
            slot=_slot(session), by=organizer, presenter=member, paper=None, expect_open=True
        )
    assert _slot(session).presenter == other_member
    scheduling.assign_slot(
        slot=_slot(session, 2), by=organizer, presenter=None, paper=None, locked=True
    )
    with pytest.raises(SchedulingError, match=r"^Slot 2 was locked meanwhile\.$"):
        scheduling.assign_slot(
            slot=_slot(session, 2), by=organizer, presenter=member, paper=None, expect_open=True
        )
    assert _slot(session, 2).presenter is None


def test_open_upcoming_slots_are_the_claimable_ones(session, organizer, member) -> None:
    scheduling.claim_slot(slot=_slot(session), user=member, paper=PaperFactory())
    past = scheduling.create_session(
        by=organizer, starts_at=timezone.now() - dt.timedelta(days=1), slot_count=1
    )
    assert past.slots.count() == 1
    assert list(Slot.objects.open_upcoming()) == [_slot(session, 2)]


def test_scribe_volunteer_first_one_wins(session, member, other_member) -> None:
    scheduling.volunteer_scribe(session=session, user=member)
    with pytest.raises(SchedulingError, match="already volunteered"):
        scheduling.volunteer_scribe(session=session, user=other_member)
    session.refresh_from_db()
    assert session.scribe == member


def test_want_to_read_is_idempotent(member) -> None:
    paper = PaperFactory()
    set_want(user=member, paper=paper, wanted=True)
    set_want(user=member, paper=paper, wanted=True)
    assert paper.wants.count() == 1
    set_want(user=member, paper=paper, wanted=False)
    assert paper.wants.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_claim_race_two_concurrent_requests_one_winner(organizer) -> None:
    session = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=7), slot_count=1
    )
    slot = session.slots.get()
    racers = [UserFactory(username=f"racer{i}") for i in range(2)]
    papers = [PaperFactory(), PaperFactory()]
    barrier = threading.Barrier(2)
    responses = {}

    def claim(i: int) -> None:
        client = Client()
        client.force_login(racers[i])
        barrier.wait()
        responses[i] = client.post(
            reverse("schedule:slot_claim", args=[slot.pk]),
            {"paper": papers[i].pk},
            headers={"HX-Request": "true"},
        )
        connection.close()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(r.status_code for r in responses.values()) == [200, 200]
    bodies = [r.content.decode() for r in responses.values()]
    assert sum("The slot is yours." in b for b in bodies) == 1
    assert sum("Too late:" in b for b in bodies) == 1
    slot.refresh_from_db()
    winner = slot.presenter
    assert winner in racers
    assert slot.paper == papers[racers.index(winner)]


# --- One slot per presenter per session ------------------------------------------------


def test_database_refuses_one_presenter_in_two_slots_of_a_session(session, member) -> None:
    Slot.objects.filter(pk=_slot(session, 1).pk).update(presenter=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=_slot(session, 2).pk).update(presenter=member)
    assert _slot(session, 2).presenter is None


def test_claim_second_slot_of_a_session_is_refused(session, member) -> None:
    scheduling.claim_slot(slot=_slot(session, 1), user=member, paper=PaperFactory())
    with pytest.raises(SchedulingError, match=r"^You already present in this session\.$"):
        scheduling.claim_slot(slot=_slot(session, 2), user=member, paper=PaperFactory())
    assert (_slot(session, 2).presenter, _slot(session, 2).paper) == (None, None)


def test_assign_someone_already_presenting_is_refused_with_their_name(
    session, organizer, member
) -> None:
    scheduling.claim_slot(slot=_slot(session, 1), user=member, paper=PaperFactory())
    with pytest.raises(SchedulingError, match=r"^Mira Member already presents in this session\.$"):
        scheduling.assign_slot(
            slot=_slot(session, 2), by=organizer, presenter=member, paper=PaperFactory()
        )
    assert _slot(session, 2).presenter is None


def test_same_member_in_two_sessions_is_fine(session, organizer, member) -> None:
    other = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=14), slot_count=1
    )
    scheduling.claim_slot(slot=_slot(session), user=member, paper=PaperFactory())
    scheduling.claim_slot(slot=_slot(other), user=member, paper=PaperFactory())
    assert Slot.objects.filter(presenter=member).count() == 2


# --- Calendar apps see every change of a session's slots -------------------------------


def _age(session) -> dt.datetime:
    """Pretend the session was last changed yesterday; return that moment."""
    yesterday = timezone.now() - dt.timedelta(days=1)
    Session.objects.filter(pk=session.pk).update(updated_at=yesterday)
    return yesterday


def _updated_at(session) -> dt.datetime:
    return Session.objects.get(pk=session.pk).updated_at


def test_claim_slot_changes_the_sessions_updated_at(session, member) -> None:
    before = _age(session)
    scheduling.claim_slot(slot=_slot(session), user=member, paper=PaperFactory())
    assert _updated_at(session) > before


def test_failed_claim_leaves_updated_at_alone(session, member, other_member) -> None:
    scheduling.claim_slot(slot=_slot(session), user=member, paper=PaperFactory())
    before = _age(session)
    with pytest.raises(SchedulingError):
        scheduling.claim_slot(slot=_slot(session), user=other_member, paper=PaperFactory())
    assert _updated_at(session) == before


@pytest.mark.parametrize(
    "action", ["release", "assign", "lock", "confirm", "decline", "scribe", "slides"]
)
def test_every_slot_change_changes_the_sessions_updated_at(
    session, organizer, member, action: str
) -> None:
    slot = _slot(session)
    if action in ("release", "slides"):
        scheduling.claim_slot(slot=slot, user=member, paper=PaperFactory())
    if action in ("confirm", "decline"):
        scheduling.assign_slot(slot=slot, by=organizer, presenter=member, paper=None)
    before = _age(session)
    {
        "release": lambda: scheduling.release_slot(slot=slot, user=member),
        "assign": lambda: scheduling.assign_slot(
            slot=slot, by=organizer, presenter=member, paper=None
        ),
        "lock": lambda: scheduling.assign_slot(
            slot=slot, by=organizer, presenter=None, paper=None, locked=True
        ),
        "confirm": lambda: scheduling.confirm_slot(slot=slot, user=member),
        "decline": lambda: scheduling.decline_slot(slot=slot, user=member),
        "scribe": lambda: scheduling.volunteer_scribe(session=session, user=member),
        "slides": lambda: slides.set_slides(slot=slot, user=member, url="https://example.org/d"),
    }[action]()
    assert _updated_at(session) > before


# --- What "ahead", "claimable" and "presented" mean ------------------------------------


def test_ahead_claimable_presented_share_one_boundary(organizer, member) -> None:
    now = timezone.now()
    starting = scheduling.create_session(by=organizer, starts_at=now, slot_count=1)
    later = scheduling.create_session(
        by=organizer, starts_at=now + dt.timedelta(hours=1), slot_count=2
    )
    cancelled = scheduling.create_session(
        by=organizer, starts_at=now + dt.timedelta(hours=2), slot_count=1
    )
    scheduling.cancel_session(session=cancelled)
    Slot.objects.filter(session=starting).update(presenter=member)
    Slot.objects.filter(session=later, position=1).update(presenter=member)

    # A session that starts at `now` has taken place: presented, no longer ahead.
    assert list(Session.objects.ahead(now)) == [later]
    assert list(Slot.objects.ahead(now)) == list(later.slots.order_by("position"))
    assert list(Slot.objects.claimable(now)) == [_slot(later, 2)]
    assert list(Slot.objects.presented(now)) == [_slot(starting)]
    assert list(Slot.objects.presented(now + dt.timedelta(hours=3))) == [
        _slot(starting),
        _slot(later, 1),
    ]


# --- Deleting an account (the admin can) ------------------------------------------------


def test_deleting_a_presenter_empties_their_slots(organizer, member, session) -> None:
    past = scheduling.create_session(
        by=organizer, starts_at=timezone.now() - dt.timedelta(days=7), slot_count=1
    )
    old_paper = PaperFactory()
    Slot.objects.filter(session=past).update(
        presenter=member,
        paper=old_paper,
        confirmed_at=timezone.now(),
        slides_url="https://example.org/old",
    )
    scheduling.claim_slot(slot=_slot(session), user=member, paper=PaperFactory())
    Slot.objects.filter(pk=_slot(session).pk).update(slides_url="https://example.org/new")
    scheduling.volunteer_scribe(session=session, user=member)

    member.delete()  # confirmed slots with slides: the constraints would refuse a bare SET_NULL

    ahead = _slot(session)
    assert (ahead.presenter, ahead.paper, ahead.confirmed_at, ahead.slides_url) == (
        None,
        None,
        None,
        "",
    )
    held = _slot(past)
    assert (held.presenter, held.paper, held.confirmed_at, held.slides_url) == (
        None,
        old_paper,
        None,
        "",
    )
    session.refresh_from_db()
    assert session.scribe is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_one_member_claiming_two_slots_of_a_session_at_once_gets_one(organizer) -> None:
    session = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=7), slot_count=2
    )
    slots = list(session.slots.order_by("position"))
    racer = UserFactory(username="racer")
    papers = [PaperFactory(), PaperFactory()]
    barrier = threading.Barrier(2)
    bodies = {}

    def claim(i: int) -> None:
        client = Client()
        client.force_login(racer)
        barrier.wait()
        response = client.post(
            reverse("schedule:slot_claim", args=[slots[i].pk]),
            {"paper": papers[i].pk},
            headers={"HX-Request": "true"},
        )
        bodies[i] = (response.status_code, response.content.decode())
        connection.close()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(status for status, _ in bodies.values()) == [200, 200]
    assert sum("The slot is yours." in body for _, body in bodies.values()) == 1
    assert sum("You already present in this session." in body for _, body in bodies.values()) == 1
    assert Slot.objects.filter(session=session, presenter=racer).count() == 1
