from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from readinggroup.members import actions
from readinggroup.models import DigestFrequency, SessionStatus, Unavailability, User

from .conftest import HTMX, client_for, make_session

pytestmark = pytest.mark.django_db

PROFILE = reverse("members:profile")
ADD = reverse("members:unavailable_add")


def _day(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def _delete_url(day: Unavailability) -> str:
    return reverse("members:unavailable_delete", args=[day.pk])


# --- Settings ------------------------------------------------------------------------


def test_profile_shows_labelled_settings(member_client) -> None:
    html = member_client.get(PROFILE).content.decode()
    for label in (
        "Display name",
        "Remind me before I present",
        "Remind me the day before each session",
        "Digest email",
    ):
        assert label in html
    assert "Where reminders, digests and password-reset links go." in html
    assert 'value="Mira Member"' in html
    assert 'href="/calendar/">your private calendar feed</a>' in html


def test_profile_saves_name_email_and_notifications(member_client, member) -> None:
    response = member_client.post(
        PROFILE,
        {"display_name": "Mira M.", "email": "mira@new.example.org", "digest": "none"},
        follow=True,
    )
    assert response.redirect_chain == [(PROFILE, 302)]
    assert "Profile saved." in response.content.decode()
    member.refresh_from_db()
    assert (member.display_name, member.email, member.digest) == (
        "Mira M.",
        "mira@new.example.org",
        DigestFrequency.NONE,
    )
    assert (member.notify_presenting, member.notify_sessions) == (False, False)


def test_profile_bad_email_is_explained(member_client, member) -> None:
    response = member_client.post(
        PROFILE, {"display_name": "X", "email": "not an email", "digest": "weekly"}
    )
    assert "Enter a valid email address." in response.content.decode()
    member.refresh_from_db()
    assert member.display_name == "Mira Member"


def test_profile_cannot_change_role(member_client, member) -> None:
    member_client.post(
        PROFILE,
        {"display_name": "M", "email": "m@example.org", "digest": "weekly", "role": "organizer"},
    )
    member.refresh_from_db()
    assert member.role == "member"


def test_profile_anonymous_sent_to_login(client: Client) -> None:
    for response in (client.get(PROFILE), client.post(PROFILE, {"display_name": "x"})):
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["organizer", "other_member"])
def test_profile_is_always_your_own(request, member, who: str) -> None:
    user = request.getfixturevalue(who)
    html = client_for(user).get(PROFILE).content.decode()
    assert f'value="{user.display_name}"' in html and "Mira Member" not in html


# --- Unavailable dates ---------------------------------------------------------------


def test_unavailable_add_with_htmx_returns_dates_fragment(member_client, member) -> None:
    response = member_client.post(
        ADD, {"date": _day(3).isoformat(), "note": "conference"}, headers=HTMX
    )
    html = response.content.decode().strip()
    assert html.startswith('<section class="card" id="unavailable">') and "<html" not in html
    assert "conference" in html and f"Marked {_day(3):%a %d %b %Y} as unavailable." in html
    assert list(member.unavailable_dates.values_list("date", "note")) == [(_day(3), "conference")]


def test_unavailable_add_without_javascript_redirects(member_client, member) -> None:
    response = member_client.post(ADD, {"date": _day(3).isoformat()}, follow=True)
    assert response.redirect_chain == [(f"{PROFILE}#unavailable", 302)]
    assert "as unavailable." in response.content.decode()
    assert member.unavailable_dates.count() == 1


def test_unavailable_add_duplicate_is_explained(member_client, member) -> None:
    member_client.post(ADD, {"date": _day(3).isoformat()})
    response = member_client.post(ADD, {"date": _day(3).isoformat()}, headers=HTMX)
    day = _day(3)
    assert f"You already marked {day:%A} {day.day} {day:%B %Y} as unavailable." in (
        response.content.decode()
    )
    assert member.unavailable_dates.count() == 1


def test_unavailable_add_past_date_is_refused(member_client, member) -> None:
    response = member_client.post(ADD, {"date": _day(-1).isoformat()}, follow=True)
    assert "That date has passed; choose today or a later date." in response.content.decode()
    assert not member.unavailable_dates.exists()


def test_unavailable_add_today_is_accepted(member_client, member) -> None:
    member_client.post(ADD, {"date": _day(0).isoformat()})
    assert member.unavailable_dates.get().date == _day(0)


def test_unavailable_add_bad_date_is_explained(member_client, member) -> None:
    response = member_client.post(ADD, {"date": "next tuesday"}, headers=HTMX)
    assert "Choose a valid date." in response.content.decode()
    assert not member.unavailable_dates.exists()


def test_unavailable_date_picker_offers_no_past_dates(member_client) -> None:
    html = member_client.get(PROFILE).content.decode()
    assert f'type="date" name="date" min="{_day(0).isoformat()}"' in html


def test_unavailable_past_dates_not_listed(member_client, member) -> None:
    Unavailability.objects.create(user=member, date=_day(-2), note="long gone")
    Unavailability.objects.create(user=member, date=_day(2), note="soon")
    html = member_client.get(PROFILE).content.decode()
    assert "soon" in html and "long gone" not in html


def test_unavailable_delete_with_htmx(member_client, member) -> None:
    day = actions.add_unavailable_date(user=member, date=_day(4), note="holiday")
    response = member_client.post(_delete_url(day), headers=HTMX)
    html = response.content.decode()
    assert "<html" not in html and "holiday" not in html
    assert f"You are available again on {_day(4):%a %d %b %Y}." in html
    assert not member.unavailable_dates.exists()


def test_unavailable_delete_without_javascript(member_client, member) -> None:
    day = actions.add_unavailable_date(user=member, date=_day(4))
    response = member_client.post(_delete_url(day), follow=True)
    assert response.redirect_chain == [(f"{PROFILE}#unavailable", 302)]
    assert not member.unavailable_dates.exists()


@pytest.mark.parametrize("who", ["organizer", "other_member"])
def test_unavailable_delete_of_someone_elses_date_is_404(request, member, who: str) -> None:
    day = actions.add_unavailable_date(user=member, date=_day(4))
    response = client_for(request.getfixturevalue(who)).post(_delete_url(day))
    assert response.status_code == 404
    assert member.unavailable_dates.count() == 1


def test_unavailable_anonymous_sent_to_login(client: Client, member) -> None:
    day = actions.add_unavailable_date(user=member, date=_day(4))
    for url in (ADD, _delete_url(day)):
        assert client.post(url, {"date": _day(5).isoformat()})["Location"].startswith(
            reverse("login")
        )
    assert list(member.unavailable_dates.values_list("date", flat=True)) == [_day(4)]


def test_unavailable_note_is_escaped(member_client, member) -> None:
    actions.add_unavailable_date(user=member, date=_day(4), note='<img src=x onerror="alert(1)">')
    html = member_client.get(PROFILE).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


# --- History -------------------------------------------------------------------------


def test_profile_shows_history_and_duties(member_client, member) -> None:
    past = make_session(days=-20, presenters=[member])
    ahead = make_session(days=6, presenters=[member], confirmed=False)
    confirmed = make_session(days=8, presenters=[member])
    scribing = make_session(days=12, scribe=member)
    make_session(days=-4, presenters=[member], status=SessionStatus.CANCELLED, title="Off")
    html = member_client.get(PROFILE).content.decode()
    assert f'href="{past.get_absolute_url()}"' in html and str(past.slots.get().paper) in html
    assert f'href="{ahead.get_absolute_url()}"' in html and "waiting for confirmation" in html
    assert f'href="{confirmed.get_absolute_url()}"' in html and "confirmed</span>" in html
    assert f'href="{scribing.get_absolute_url()}"' in html and "scribe" in html
    assert 'Papers presented <span class="count-pill">1</span>' in html


@pytest.mark.parametrize("size", [1, 10])
def test_profile_query_count_is_fixed(
    member_client, django_assert_num_queries, member, size: int
) -> None:
    for i in range(size):
        make_session(days=-10 - i, presenters=[member])
        make_session(days=5 + i, presenters=[member], scribe=member)
        actions.add_unavailable_date(user=member, date=_day(i + 1), note=f"away {i}")
    # session, user, unavailable dates, the member's slots, scribe roles ahead
    with django_assert_num_queries(5):
        response = member_client.get(PROFILE)
    html = response.content.decode()
    assert f'Papers presented <span class="count-pill">{size}</span>' in html
    assert f"away {size - 1}" in html


def test_removed_member_keeps_history_on_their_page(organizer_client, organizer) -> None:
    gone = User.objects.create_user("gone", display_name="Gone Away")
    session = make_session(days=-10, presenters=[gone])
    actions.remove_member(member=gone, by=organizer)
    html = organizer_client.get(reverse("members:member_detail", args=[gone.pk])).content
    assert str(session.slots.get().paper) in html.decode()
