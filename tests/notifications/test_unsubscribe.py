"""Unsubscribe links: no login, a one-button confirmation, RFC 8058 one-click POST."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from readinggroup.models import DigestFrequency
from readinggroup.notifications.unsubscribe import make_token, read_token, unsubscribe_url

from .conftest import SITE

pytestmark = pytest.mark.django_db


def path(user, preference: str) -> str:
    return reverse("notifications:unsubscribe", args=[make_token(user, preference)])


def test_unsubscribe_url_is_absolute_and_names_user_and_preference(member) -> None:
    url = unsubscribe_url(member, "sessions")
    assert url.startswith(f"{SITE}/notifications/unsubscribe/")
    assert read_token(url.removeprefix(SITE).split("/")[3]) == (member, "sessions")


def test_unsubscribe_get_asks_without_login_and_changes_nothing(client, member) -> None:
    response = client.get(path(member, "sessions"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mira Member, stop sending you reminders the day before each session?" in html
    assert '<form method="post"><button type="submit" class="button primary">Unsubscribe' in html
    member.refresh_from_db()
    assert member.notify_sessions is True


def test_unsubscribe_post_applies_at_once_and_confirms(client, member) -> None:
    url = path(member, "sessions")
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "You are unsubscribed" in response.content.decode()
    assert "you will no longer get reminders the day before each session" in (
        response.content.decode()
    )
    member.refresh_from_db()
    assert (member.notify_sessions, member.notify_presenting, member.digest) == (
        False,
        True,
        DigestFrequency.WEEKLY,
    )


@pytest.mark.parametrize(
    ("preference", "field", "off"),
    [
        ("presenting", "notify_presenting", False),
        ("sessions", "notify_sessions", False),
        ("digest", "digest", DigestFrequency.NONE),
    ],
)
def test_one_click_post_without_csrf_or_cookie(member, preference, field, off) -> None:
    """RFC 8058: the mail app POSTs List-Unsubscribe=One-Click, with no cookie or token."""
    mail_app = Client(enforce_csrf_checks=True)
    response = mail_app.post(
        path(member, preference),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert getattr(member, field) == off


def test_unsubscribe_twice_is_harmless(client, member) -> None:
    url = path(member, "digest")
    client.post(url)
    response = client.post(url, follow=True)
    assert "You are unsubscribed" in response.content.decode()


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        signing.dumps({"u": 1, "p": "sessions"}),  # signed, but not with the unsubscribe salt
        signing.dumps({"u": 1, "p": "everything"}, salt="readinggroup.notifications.unsubscribe"),
    ],
)
def test_bad_token_is_refused_and_changes_nothing(client, member, token) -> None:
    url = reverse("notifications:unsubscribe", args=[token])
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
    member.refresh_from_db()
    assert member.notify_sessions and member.notify_presenting


def test_tampered_token_for_another_user_is_refused(client, member, other_member) -> None:
    token = make_token(member, "sessions")
    forged = signing.dumps(
        {"u": other_member.pk, "p": "sessions"}, salt="readinggroup.notifications.unsubscribe"
    )
    forged = forged.split(":")[0] + ":" + ":".join(token.split(":")[1:])
    response = client.post(reverse("notifications:unsubscribe", args=[forged]))
    assert response.status_code == 404
    other_member.refresh_from_db()
    assert other_member.notify_sessions is True
