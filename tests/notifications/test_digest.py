"""The weekly digest: when and to whom, what it holds, once a week, and a query count
that does not grow with the number of members."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from readinggroup.models import (
    DigestFrequency,
    Note,
    Notification,
    NotificationKind,
    Unavailability,
    User,
    WantToRead,
)
from readinggroup.notes.actions import post_note
from readinggroup.notifications import claiming
from readinggroup.notifications.digest import build_weekly_digests
from readinggroup.notifications.messages import render_digest
from tests.factories import PaperFactory, UserFactory

from .conftest import SITE, london, make_session, present, run_outbox

pytestmark = pytest.mark.django_db

MONDAY_8 = london(2026, 3, 9, 8, 0)  # the default: Monday at 08:00


def digests_sent() -> list[str]:
    rows = Notification.objects.filter(kind=NotificationKind.DIGEST, status="sent")
    return sorted(rows.exclude(recipient=None).values_list("recipient__username", flat=True))


@pytest.fixture
def week(clock, organizer, member, other_member, group):
    """Thursday's session (Mira presents, slot 2 open), another the week after, notes."""
    clock.to(london(2026, 3, 2, 12))
    thursday = make_session(organizer, london(2026, 3, 12, 16), place="Room 4.12")
    present(thursday, member, title="Attention Is All You Need")
    make_session(organizer, london(2026, 3, 19, 16), title="Compilers")
    make_session(organizer, london(2026, 4, 30, 16), title="Far away")  # too far to list
    return thursday


def test_digest_goes_out_at_the_set_weekday_and_hour(clock, week) -> None:
    UserFactory(username="nodigest", digest=DigestFrequency.NONE)
    UserFactory(username="gone", is_active=False)
    clock.to(london(2026, 3, 9, 7, 55))
    claiming.tick(now=london(2026, 3, 9, 7, 55))
    assert Notification.objects.filter(kind=NotificationKind.DIGEST).count() == 0
    clock.to(MONDAY_8)
    claiming.tick(now=MONDAY_8)
    run_outbox()
    assert digests_sent() == ["mira", "olga", "otto"]
    assert set(
        Notification.objects.filter(kind=NotificationKind.DIGEST).values_list("scope", flat=True)
    ) == {"week:2026-W11"}


def test_digest_once_a_week_even_if_the_day_changes(clock, week, group) -> None:
    clock.to(MONDAY_8)
    claiming.tick(now=MONDAY_8)
    group.digest_weekday = 2  # Wednesday, same ISO week: nobody gets a second one
    group.save()
    wednesday = clock.to(london(2026, 3, 11, 8, 0))
    claiming.tick(now=wednesday)
    run_outbox()
    assert [m.subject for m in mail.outbox].count("Your weekly reading group digest") == 3
    next_week = clock.to(london(2026, 3, 18, 8, 0))
    claiming.tick(now=next_week)
    run_outbox()
    assert Notification.objects.filter(kind=NotificationKind.DIGEST, status="sent").count() == 6


def test_digest_at_eight_local_after_spring_switch(clock, week) -> None:
    clock.to(dt.datetime(2026, 3, 30, 6, 59, tzinfo=dt.UTC))  # 07:59 BST
    claiming.tick(now=dt.datetime(2026, 3, 30, 6, 59, tzinfo=dt.UTC))
    assert not Notification.objects.filter(scope="week:2026-W14").exists()
    clock.to(dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC))  # 08:00 BST
    claiming.tick(now=dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC))
    assert Notification.objects.filter(scope="week:2026-W14").count() == 3


def test_digest_content(clock, week, organizer, member, other_member) -> None:
    wanted = PaperFactory(title="Most Wanted Paper")
    WantToRead.objects.create(user=other_member, paper=wanted)
    WantToRead.objects.create(user=organizer, paper=wanted)
    WantToRead.objects.create(user=member, paper=week.slots.get(position=1).paper)
    post_note(author=organizer, body="Before the last digest", session=week)
    clock.to(london(2026, 3, 5, 12))
    User.objects.filter(pk=member.pk).update(last_digest_at=london(2026, 3, 4, 8))
    shown = post_note(author=other_member, body="Great paper, see section 3.", paper=wanted)
    hidden = post_note(author=other_member, body="Hidden note", paper=wanted)
    hidden.hidden = True
    hidden.save()
    post_note(author=organizer, body="Reply to a hidden note", parent=hidden)
    clock.to(MONDAY_8)
    claiming.tick(now=MONDAY_8)
    run_outbox()
    [email] = [m for m in mail.outbox if m.to == ["mira@example.org"]]
    assert email.subject == "Your weekly reading group digest"
    body = email.body
    assert "Your reading group week (week of 9 March)." in body
    assert "YOU PRESENT\n- Thu 12 Mar, 16:00: Attention Is All You Need\n" in body
    assert "- Thu 12 Mar, 16:00: Systems, Room 4.12\n" in body
    assert "    1. Mira Member: Attention Is All You Need\n    2. open slot\n" in body
    assert "- Thu 19 Mar, 16:00: Compilers\n" in body
    assert "Far away" not in body
    slot2 = week.slots.get(position=2)
    assert f"- Thu 12 Mar, 16:00, slot 2: {SITE}/sessions/{week.pk}/#slot-{slot2.pk}" in body
    assert f"- Most Wanted Paper (2 wants to read it): {SITE}/papers/{wanted.pk}/" in body
    assert "Attention Is All You Need (1 want" not in body  # scheduled: not offered
    assert "NEW NOTES SINCE 4 MARCH" in body
    assert "- Otto Other on Most Wanted Paper: Great paper, see section 3." in body
    assert f"{SITE}/notes/{shown.pk}/" in body
    assert "Hidden note" not in body and "Reply to a hidden note" not in body
    assert "Before the last digest" not in body
    html = email.alternatives[0][0]
    assert f'href="{SITE}/papers/{wanted.pk}/"' in html
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_digest_open_slots_leave_out_unavailable_days(clock, week, other_member) -> None:
    Unavailability.objects.create(user=other_member, date=dt.date(2026, 3, 12))
    clock.to(MONDAY_8)
    digests = {d.member.username: d for d in build_weekly_digests(now=MONDAY_8)}
    thursday_slot = week.slots.get(position=2)
    assert thursday_slot in digests["mira"].open_slots
    assert thursday_slot not in digests["otto"].open_slots
    assert len(digests["otto"].open_slots) == len(digests["mira"].open_slots) - 1


def test_digest_updates_last_digest_at(clock, week, member) -> None:
    clock.to(MONDAY_8)
    claiming.tick(now=MONDAY_8)
    later = clock.to(MONDAY_8 + dt.timedelta(minutes=3))
    run_outbox()
    member.refresh_from_db()
    assert member.last_digest_at == later


def test_digest_preference_read_at_sending(clock, week, member) -> None:
    clock.to(MONDAY_8)
    claiming.tick(now=MONDAY_8)
    User.objects.filter(pk=member.pk).update(digest=DigestFrequency.NONE)
    run_outbox()
    row = Notification.objects.get(kind=NotificationKind.DIGEST, recipient=member)
    assert (row.status, row.last_error) == ("dropped", "recipient turned off the weekly digest")
    assert digests_sent() == ["olga", "otto"]


def _members(count: int) -> None:
    users = User.objects.bulk_create(
        User(username=f"bulk{i}", email=f"bulk{i}@example.org", password="!") for i in range(count)
    )
    Unavailability.objects.bulk_create(
        Unavailability(user=user, date=dt.date(2026, 3, 12)) for user in users[::3]
    )


def test_digest_notes_are_what_visible_to_gives_a_member_who_wrote_none(
    clock, week, organizer, member, other_member
) -> None:
    """One rule for hidden notes: the digest's notes are Note.objects.visible_to for a
    plain member, and nobody (not even an organizer or the author) gets hidden ones."""
    clock.to(london(2026, 3, 5, 12))
    shown = post_note(author=other_member, body="Shown", session=week)
    reply = post_note(author=organizer, body="Shown reply", parent=shown)
    hidden = post_note(author=other_member, body="Hidden", session=week)
    under_hidden = post_note(author=other_member, body="Own reply under hidden", parent=hidden)
    hidden_reply = post_note(author=member, body="Hidden reply", parent=shown)
    Note.objects.filter(pk__in=[hidden.pk, hidden_reply.pk]).update(hidden=True)
    reader = UserFactory(username="reader")
    expected = set(Note.objects.visible_to(reader).values_list("pk", flat=True))
    assert expected == {shown.pk, reply.pk}
    clock.to(MONDAY_8)
    digests = build_weekly_digests(now=MONDAY_8, members=[organizer, member, other_member])
    for digest in digests:
        assert {note.pk for note in digest.notes} == expected, digest.member
    assert under_hidden.pk not in expected


@pytest.mark.parametrize("members", [10, 1000])
def test_build_weekly_digests_query_count_is_fixed(
    clock, week, organizer, django_assert_num_queries, members: int
) -> None:
    _members(members)
    post_note(author=organizer, body="A note", session=week)
    clock.to(MONDAY_8)
    # members, sessions, their slots, open slots, wanted papers, unavailability, notes
    with django_assert_num_queries(7):
        digests = build_weekly_digests(now=MONDAY_8)
    assert len(digests) == members + 3
    with django_assert_num_queries(6):  # the same, for members given
        build_weekly_digests(now=MONDAY_8, members=[d.member for d in digests])


@pytest.mark.parametrize("members", [3, 30])
def test_rendering_digests_runs_no_query(clock, week, members: int) -> None:
    _members(members)
    clock.to(MONDAY_8)
    digests = build_weekly_digests(now=MONDAY_8)
    with CaptureQueriesContext(connection) as queries:
        rendered = [render_digest(digest) for digest in digests]
    assert len(queries) == 0
    assert all("Systems" in r.text for r in rendered)


def test_send_digest_now_uses_its_own_scope_once_per_press(clock, week, organizer) -> None:
    clock.to(MONDAY_8)
    claiming.tick(now=MONDAY_8)
    run_outbox()
    claiming.claim_manual_digests(now=MONDAY_8, token="20260309T090000000000Z")
    claiming.claim_manual_digests(now=MONDAY_8, token="20260309T090000000000Z")  # double click
    run_outbox()
    scopes = Notification.objects.filter(kind=NotificationKind.DIGEST, status="sent").values_list(
        "scope", flat=True
    )
    assert sorted(set(scopes)) == ["manual:20260309T090000000000Z", "week:2026-W11"]
    assert len(scopes) == 6
