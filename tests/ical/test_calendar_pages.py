"""The private feed, the subscribe page and per-session .ics files over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from readinggroup.ical import tokens
from readinggroup.models import User
from readinggroup.schedule import scheduling
from tests.factories import PaperFactory
from tests.ical.conftest import SITE, events, make_sessions, parse

pytestmark = pytest.mark.django_db


def _feed(token: str) -> str:
    return reverse("ical:feed", args=[token])


# --- The feed ----------------------------------------------------------------------


def test_feed_serves_recent_and_future_sessions_to_anyone_with_the_token(
    client, member, organizer, upcoming_session
) -> None:
    now = timezone.now()
    scheduling.create_session(
        by=organizer, starts_at=now - dt.timedelta(days=120), slot_count=1, title="Long ago"
    )
    scheduling.create_session(
        by=organizer, starts_at=now - dt.timedelta(days=20), slot_count=1, title="Last month"
    )
    cancelled = scheduling.create_session(
        by=organizer, starts_at=now + dt.timedelta(days=30), slot_count=1, title="Called off"
    )
    scheduling.cancel_session(session=cancelled)
    token = tokens.create_token(user=member)

    response = client.get(_feed(token))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-cache"
    found = events(response.content)
    assert sorted(found) == ["Called off", "Last month", "Systems week"]
    assert str(found["Called off"]["status"]) == "CANCELLED"
    week = found["Systems week"]
    assert week.decoded("dtstart") == upcoming_session.starts_at.astimezone(dt.UTC)
    assert str(week["url"]) == f"{SITE}/sessions/{upcoming_session.pk}/"
    assert str(week["uid"]) == f"session-{upcoming_session.pk}@reading.example.org"
    assert str(week["location"]) == "Room 4.12"
    description = str(week["description"])
    assert "Attention Is All You Need" in description
    assert "Mira Member" in description
    assert "https://meet.example.org/rg" in description


def test_feed_with_alarm_parameter_adds_reminders(client, member, upcoming_session) -> None:
    token = tokens.create_token(user=member)
    response = client.get(_feed(token), {"alarm": "30"})
    (alarm,) = events(response.content)["Systems week"].walk("VALARM")
    assert alarm.decoded("trigger") == -dt.timedelta(minutes=30)


@pytest.mark.parametrize(
    "alarm", ["-5", "soon", "99999", "²", "99999999999999999999", "1" * 5000, "3.5", "10081"]
)
def test_feed_with_bad_alarm_parameter_says_why(client, member, upcoming_session, alarm) -> None:
    token = tokens.create_token(user=member)
    response = client.get(_feed(token), {"alarm": alarm})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "alarm must be a number of minutes from 0 to 10080."


@pytest.mark.parametrize(("alarm", "minutes"), [("0", 0), (" 45 ", 45), ("10080", 10080)])
def test_feed_alarm_limits_are_accepted(client, member, upcoming_session, alarm, minutes) -> None:
    token = tokens.create_token(user=member)
    response = client.get(_feed(token), {"alarm": alarm})
    (reminder,) = events(response.content)["Systems week"].walk("VALARM")
    assert reminder.decoded("trigger") == -dt.timedelta(minutes=minutes)


def test_feed_uids_and_links_do_not_depend_on_the_host_used(
    client, member, upcoming_session
) -> None:
    token = tokens.create_token(user=member)
    seen = set()
    for host in ("testserver", "localhost", "127.0.0.1"):
        week = events(client.get(_feed(token), headers={"host": host}).content)["Systems week"]
        seen.add((str(week["uid"]), str(week["url"])))
    assert seen == {
        (
            f"session-{upcoming_session.pk}@reading.example.org",
            f"{SITE}/sessions/{upcoming_session.pk}/",
        )
    }


def test_feed_without_site_url_names_no_host(client, member, upcoming_session, settings) -> None:
    settings.READINGGROUP_SITE_URL = ""
    token = tokens.create_token(user=member)
    week = events(client.get(_feed(token), headers={"host": "localhost"}).content)["Systems week"]
    assert str(week["uid"]) == f"session-{upcoming_session.pk}@readinggroup"
    assert "url" not in week
    assert "localhost" not in str(week["description"])


def test_feed_answers_head_and_refuses_post(client, member) -> None:
    token = tokens.create_token(user=member)
    assert client.head(_feed(token))["Content-Type"] == "text/calendar; charset=utf-8"
    assert client.post(_feed(token)).status_code == 405


def test_feed_unknown_token_is_404(client, member, upcoming_session) -> None:
    tokens.create_token(user=member)
    response = client.get(_feed("not-a-real-token"))
    assert response.status_code == 404
    assert b"BEGIN:VCALENDAR" not in response.content


def test_feed_of_deactivated_member_is_404(client, member, upcoming_session) -> None:
    token = tokens.create_token(user=member)
    User.objects.filter(pk=member.pk).update(is_active=False)
    response = client.get(_feed(token))
    assert response.status_code == 404
    assert b"VCALENDAR" not in response.content
    assert b"Systems week" not in response.content


def test_feed_token_does_not_log_in_or_reveal_anything_else(
    client, member, other_member, upcoming_session
) -> None:
    mine = tokens.create_token(user=member)
    theirs = tokens.create_token(user=other_member)

    response = client.get(_feed(theirs))

    body = response.content.decode()
    assert "BEGIN:VEVENT" in body
    # The feed is the group's schedule: nothing about whose token it is.
    for secret in (mine, theirs, member.email, other_member.email, "otto"):
        assert secret not in body
    assert "sessionid" not in response.cookies
    # The token opens the feed and nothing else.
    assert client.get(reverse("ical:subscribe"))["Location"].startswith(reverse("login"))
    session_ics = reverse("ical:session_ics", args=[upcoming_session.pk])
    assert client.get(session_ics)["Location"].startswith(reverse("login"))
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("count", [1, 6])
def test_feed_query_count_does_not_grow(
    client, member, organizer, count, django_assert_num_queries
):
    make_sessions(organizer, count)
    token = tokens.create_token(user=member)
    # The member (for the ETag, then for the feed), the feed's version, sessions, slots.
    with django_assert_num_queries(5):
        response = client.get(_feed(token))
    assert len(parse(response.content).walk("VEVENT")) == count


# --- Conditional requests: calendar apps poll the feed -----------------------------


def test_feed_unchanged_answers_304_without_building_it(
    client, member, organizer, django_assert_num_queries
) -> None:
    make_sessions(organizer, 3)
    token = tokens.create_token(user=member)
    first = client.get(_feed(token))
    etag = first["ETag"]
    with django_assert_num_queries(2):  # the member and the feed's version: no sessions
        again = client.get(_feed(token), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag


def test_feed_changes_etag_after_a_claim_a_cancellation_and_a_paper_edit(
    client, member, organizer, upcoming_session
) -> None:
    token = tokens.create_token(user=member)
    seen = [client.get(_feed(token))["ETag"]]
    open_slot = upcoming_session.slots.get(position=2)
    scheduling.claim_slot(slot=open_slot, user=organizer, paper=PaperFactory(title="Borg"))
    seen.append(client.get(_feed(token))["ETag"])
    paper = upcoming_session.slots.get(position=1).paper
    paper.title = "Attention Is Still All You Need"
    paper.save()
    seen.append(client.get(_feed(token))["ETag"])
    scheduling.cancel_session(session=upcoming_session)
    response = client.get(_feed(token), headers={"If-None-Match": seen[-1]})
    assert response.status_code == 200  # changed: the whole feed, with the cancellation
    assert str(events(response.content)["Systems week"]["status"]) == "CANCELLED"
    seen.append(response["ETag"])
    assert len(set(seen)) == 4


def test_feed_with_and_without_alarm_have_their_own_etags(client, member, upcoming_session):
    token = tokens.create_token(user=member)
    plain = client.get(_feed(token))
    with_alarm = client.get(_feed(token), {"alarm": "30"}, headers={"If-None-Match": plain["ETag"]})
    assert with_alarm.status_code == 200
    assert b"TRIGGER:-PT30M" in with_alarm.content
    assert with_alarm["ETag"] != plain["ETag"]


def test_feed_revoked_token_is_refused_even_with_a_matching_etag(client, member, upcoming_session):
    token = tokens.create_token(user=member)
    etag = client.get(_feed(token))["ETag"]
    tokens.revoke_token(user=member)
    refused = client.get(_feed(token), headers={"If-None-Match": etag})
    assert refused.status_code == 404
    assert b"BEGIN:VCALENDAR" not in refused.content


def test_feed_bad_alarm_is_a_400_even_with_an_etag(client, member, upcoming_session):
    token = tokens.create_token(user=member)
    etag = client.get(_feed(token))["ETag"]
    response = client.get(_feed(token), {"alarm": "soon"}, headers={"If-None-Match": etag})
    assert response.status_code == 400
    assert b"alarm must be a number of minutes" in response.content


# --- The subscribe page ------------------------------------------------------------


def test_subscribe_page_anonymous_goes_to_login(client) -> None:
    response = client.get(reverse("ical:subscribe"))
    assert response["Location"].startswith(reverse("login"))
    response = client.post(reverse("ical:subscribe"), {"action": "create"})
    assert response["Location"].startswith(reverse("login"))
    assert not User.objects.exclude(calendar_token=None).exists()


def test_subscribe_page_without_token_offers_to_create_one(member_client, member) -> None:
    page = member_client.get(reverse("ical:subscribe")).content.decode()
    assert "You have no calendar link yet." in page
    assert "Create my calendar link" in page
    assert ".ics" not in page.split("How to subscribe")[0]
    for app in ("Google Calendar", "Outlook", "Apple Calendar"):
        assert app in page


def test_subscribe_create_shows_https_and_webcal_links(member_client, member) -> None:
    response = member_client.post(reverse("ical:subscribe"), {"action": "create"}, follow=True)
    member.refresh_from_db()
    token = member.calendar_token
    assert len(token) == 43
    page = response.content.decode()
    assert response.redirect_chain == [(reverse("ical:subscribe"), 302)]
    assert "Your calendar link is ready." in page
    assert f'value="{SITE}/calendar/{token}.ics"' in page
    assert f'value="webcal://reading.example.org/calendar/{token}.ics"' in page
    assert "Revoke this link and make a new one" in page


def test_subscribe_page_links_do_not_depend_on_the_host_used(member_client, member) -> None:
    token = tokens.create_token(user=member)
    page = member_client.get(reverse("ical:subscribe"), headers={"host": "localhost"})
    html = page.content.decode()
    assert f'value="{SITE}/calendar/{token}.ics"' in html
    assert "localhost" not in html


def test_subscribe_page_without_site_url_explains_instead_of_guessing(
    member_client, member, settings
) -> None:
    token = tokens.create_token(user=member)
    settings.READINGGROUP_SITE_URL = ""
    html = member_client.get(reverse("ical:subscribe")).content.decode()
    assert "its public address is not configured" in html
    assert "READINGGROUP_SITE_URL is not set" in html
    assert token not in html


def test_subscribe_create_twice_keeps_the_same_token(member_client, member) -> None:
    member_client.post(reverse("ical:subscribe"), {"action": "create"})
    member.refresh_from_db()
    first = member.calendar_token
    member_client.post(reverse("ical:subscribe"), {"action": "create"})
    member.refresh_from_db()
    assert member.calendar_token == first


def test_subscribe_revoke_stops_the_old_link_at_once(
    client, member_client, member, upcoming_session
) -> None:
    old = tokens.create_token(user=member)
    assert client.get(_feed(old)).status_code == 200

    response = member_client.post(reverse("ical:subscribe"), {"action": "revoke"}, follow=True)

    member.refresh_from_db()
    new = member.calendar_token
    assert new != old
    assert "Your old calendar link no longer works." in response.content.decode()
    assert f"calendar/{new}.ics" in response.content.decode()
    assert client.get(_feed(old)).status_code == 404
    assert "Systems week" in events(client.get(_feed(new)).content)


def test_subscribe_revoke_touches_only_my_token(
    organizer_client, organizer, member, other_member
) -> None:
    theirs = tokens.create_token(user=member)
    tokens.create_token(user=organizer)
    organizer_client.post(reverse("ical:subscribe"), {"action": "revoke"})
    member.refresh_from_db()
    other_member.refresh_from_db()
    assert member.calendar_token == theirs
    assert other_member.calendar_token is None


def test_subscribe_htmx_post_answers_with_the_fragment(member_client, member) -> None:
    response = member_client.post(
        reverse("ical:subscribe"), {"action": "create"}, headers={"HX-Request": "true"}
    )
    member.refresh_from_db()
    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith('<section class="card calendar-feed" id="calendar-feed">')
    assert f"webcal://reading.example.org/calendar/{member.calendar_token}.ics" in html
    assert "Your calendar link is ready." in html


@pytest.mark.parametrize("count", [1, 5])
def test_subscribe_page_query_count_does_not_grow(
    member_client, member, organizer, count, django_assert_num_queries
) -> None:
    make_sessions(organizer, count)
    tokens.create_token(user=member)
    with django_assert_num_queries(2):  # the login session and its user
        response = member_client.get(reverse("ical:subscribe"))
    assert f"calendar/{member.calendar_token}.ics" in response.content.decode()


# --- One session's .ics ------------------------------------------------------------


def test_session_ics_is_an_attachment_with_one_event(member_client, upcoming_session) -> None:
    response = member_client.get(reverse("ical:session_ics", args=[upcoming_session.pk]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="session-{upcoming_session.pk}.ics"'
    )
    (event,) = parse(response.content).walk("VEVENT")
    assert str(event["summary"]) == "Systems week"
    assert "Attention Is All You Need" in str(event["description"])


@pytest.mark.parametrize("who", ["organizer", "member", "other_member"])
def test_session_ics_for_every_member(who, request, upcoming_session) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("ical:session_ics", args=[upcoming_session.pk]))
    assert str(parse(response.content).walk("VEVENT")[0]["summary"]) == "Systems week"


def test_session_ics_anonymous_goes_to_login(client, upcoming_session) -> None:
    response = client.get(reverse("ical:session_ics", args=[upcoming_session.pk]))
    assert response["Location"].startswith(reverse("login"))
    assert b"VCALENDAR" not in response.content


def test_session_ics_unknown_session_is_404(member_client) -> None:
    response = member_client.get(reverse("ical:session_ics", args=[999]))
    assert response.status_code == 404
    assert b"VCALENDAR" not in response.content
    assert "Content-Disposition" not in response


def test_session_ics_uid_does_not_depend_on_the_host_used(member_client, upcoming_session) -> None:
    url = reverse("ical:session_ics", args=[upcoming_session.pk])
    response = member_client.get(url, headers={"host": "localhost"})
    (event,) = parse(response.content).walk("VEVENT")
    assert str(event["uid"]) == f"session-{upcoming_session.pk}@reading.example.org"
    assert str(event["url"]) == f"{SITE}/sessions/{upcoming_session.pk}/"


def test_session_ics_cancelled_session(member_client, upcoming_session) -> None:
    scheduling.cancel_session(session=upcoming_session)
    response = member_client.get(reverse("ical:session_ics", args=[upcoming_session.pk]))
    assert str(parse(response.content).walk("VEVENT")[0]["status"]) == "CANCELLED"


@pytest.mark.parametrize("slots", [1, 8])
def test_session_ics_query_count_does_not_grow(
    member_client, organizer, slots, django_assert_num_queries
) -> None:
    make_sessions(organizer, 1, slots=slots)
    from readinggroup.models import Session

    pk = Session.objects.get().pk
    with django_assert_num_queries(4):  # login session, user, the session, its slots
        response = member_client.get(reverse("ical:session_ics", args=[pk]))
    description = str(parse(response.content).walk("VEVENT")[0]["description"])
    assert description.count("\n") >= slots
