from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from readinggroup.members import actions
from readinggroup.models import Invite, Role, User
from tests.factories import UserFactory

from .conftest import HTMX, client_for

pytestmark = pytest.mark.django_db

LIST = reverse("members:member_list")
CREATE = reverse("members:invite_create")
PASSWORD = "a long and unusual passphrase"
SITE = "https://reading.example.org"


@pytest.fixture(autouse=True)
def site_url(settings) -> str:
    settings.READINGGROUP_SITE_URL = SITE
    return SITE


def _link_in(html: str) -> str:
    match = re.search(r'value="(https://reading\.example\.org/join/[^"/]+/)"', html)
    assert match, "no invite link on the page"
    return match.group(1)


def _path(link: str) -> str:
    return link.removeprefix(SITE)


def _join_data(**overrides: str) -> dict[str, str]:
    data = {
        "username": "newbie",
        "display_name": "New Bie",
        "email": "newbie@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


@pytest.fixture
def invite_link(organizer) -> str:
    _, token = actions.create_invite(by=organizer, role=Role.MEMBER)
    return reverse("members:join", args=[token])


# --- Creating invites ----------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "other_member"])
def test_invite_create_forbidden_to_members(request, who: str) -> None:
    client = client_for(request.getfixturevalue(who))
    assert client.post(CREATE, {"role": Role.ORGANIZER, "days": 7}).status_code == 403
    assert not Invite.objects.exists()


def test_invite_create_anonymous_sent_to_login(client: Client) -> None:
    response = client.post(CREATE, {"role": Role.MEMBER, "days": 7})
    assert response["Location"].startswith(reverse("login"))
    assert not Invite.objects.exists()


def test_invite_create_htmx_shows_link_once_and_stores_only_hash(
    organizer_client, organizer
) -> None:
    before = timezone.now()
    response = organizer_client.post(
        CREATE, {"role": Role.ORGANIZER, "email": "", "days": 3}, headers=HTMX
    )
    html = response.content.decode().strip()
    assert html.startswith('<section class="card" id="invites">') and "<html" not in html
    assert "Invite created. Copy the link now: it is shown only once." in html
    link = _link_in(html)
    token = link.rstrip("/").rsplit("/", 1)[1]
    invite = Invite.objects.get()
    assert invite.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invite.token_hash and len(token) >= 40
    assert (invite.role, invite.email, invite.created_by) == (Role.ORGANIZER, "", organizer)
    expected = before + dt.timedelta(days=3)
    assert expected <= invite.expires_at <= timezone.now() + dt.timedelta(days=3)
    assert mail.outbox == []
    # the link is not shown again
    assert token not in organizer_client.get(LIST).content.decode()


def test_invite_link_comes_from_the_site_url_not_the_host_header(organizer_client) -> None:
    response = organizer_client.post(
        CREATE,
        {"role": Role.MEMBER, "days": 7, "email": "new@example.org"},
        headers={**HTMX, "host": "localhost"},
    )
    html = response.content.decode()
    link = _link_in(html)
    assert "localhost" not in html
    [message] = mail.outbox
    assert link in message.body and "localhost" not in message.body


def test_invite_create_without_site_url_says_why_and_creates_nothing(
    organizer_client, settings
) -> None:
    settings.READINGGROUP_SITE_URL = ""
    response = organizer_client.post(CREATE, {"role": Role.MEMBER, "days": 7}, headers=HTMX)
    html = response.content.decode()
    assert "Links cannot be made yet: READINGGROUP_SITE_URL is not set" in html
    assert "/join/" not in html
    assert not Invite.objects.exists()


def test_invite_create_without_javascript_shows_link_after_redirect_once(
    organizer_client,
) -> None:
    response = organizer_client.post(CREATE, {"role": Role.MEMBER, "days": 7}, follow=True)
    assert response.redirect_chain == [(f"{LIST}#invites", 302)]
    html = response.content.decode()
    assert "New invite link" in html and "Invite created." in html
    link = _link_in(html)
    assert link not in organizer_client.get(LIST).content.decode()


def test_invite_create_with_email_sends_the_link(organizer_client) -> None:
    response = organizer_client.post(
        CREATE, {"role": Role.MEMBER, "email": "ada@example.org", "days": 7}, headers=HTMX
    )
    html = response.content.decode()
    assert "Invite created and emailed to ada@example.org." in html
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert message.subject == "Olga Organizer invites you to the reading group"
    assert _link_in(html) in message.body


@pytest.mark.parametrize("days", ["0", "31", "-1", "seven"])
def test_invite_create_validity_outside_1_to_30_days_is_refused(organizer_client, days) -> None:
    response = organizer_client.post(CREATE, {"role": Role.MEMBER, "days": days}, headers=HTMX)
    html = response.content.decode()
    assert '<div class="error">' in html and "Create invite link" in html
    assert not Invite.objects.exists()


def test_invite_create_invalid_without_javascript_rerenders_page(organizer_client) -> None:
    response = organizer_client.post(CREATE, {"role": Role.MEMBER, "days": "31"})
    html = response.content.decode()
    assert "<html" in html and "Ensure this value is less than or equal to 30." in html
    assert not Invite.objects.exists()


def test_invite_email_failure_keeps_invite_and_tells_organizer(
    organizer_client, failing_smtp_server
) -> None:
    response = organizer_client.post(
        CREATE, {"role": Role.MEMBER, "email": "ada@example.org", "days": 7}, headers=HTMX
    )
    html = response.content.decode()
    assert "the email to ada@example.org could not be sent" in html
    assert "Copy the link below and send it yourself" in html
    invite = Invite.objects.get()
    assert invite.is_usable
    assert (
        invite.token_hash
        == hashlib.sha256(_link_in(html).rstrip("/").rsplit("/", 1)[1].encode()).hexdigest()
    )


def test_invite_email_server_down_without_javascript(organizer_client, no_smtp_server) -> None:
    response = organizer_client.post(
        CREATE, {"role": Role.MEMBER, "email": "ada@example.org", "days": 7}, follow=True
    )
    html = response.content.decode()
    assert "could not be sent" in html and _link_in(html)
    assert Invite.objects.get().is_usable


def test_invite_email_through_real_smtp_server(organizer_client, smtp_server) -> None:
    organizer_client.post(
        CREATE, {"role": Role.MEMBER, "email": "ada@example.org", "days": 7}, headers=HTMX
    )
    assert len(smtp_server.messages) == 1
    assert b"/join/" in smtp_server.messages[0]


# --- Pending invites and revoking ----------------------------------------------------


def test_pending_invites_listed_with_expiry(organizer_client, organizer) -> None:
    actions.create_invite(by=organizer, email="pending@example.org", days=5)
    used, _ = actions.create_invite(by=organizer, email="used@example.org")
    Invite.objects.filter(pk=used.pk).update(used_at=timezone.now())
    revoked, _ = actions.create_invite(by=organizer, email="revoked@example.org")
    actions.revoke_invite(invite=revoked)
    html = organizer_client.get(LIST).content.decode()
    assert "pending@example.org" in html and "expires" in html and "(in 4" in html
    assert "used@example.org" not in html and "revoked@example.org" not in html


def test_revoke_htmx_returns_invites_fragment(organizer_client, organizer) -> None:
    invite, _ = actions.create_invite(by=organizer, email="pending@example.org")
    url = reverse("members:invite_revoke", args=[invite.pk])
    response = organizer_client.post(url, headers=HTMX)
    html = response.content.decode().strip()
    assert html.startswith('<section class="card" id="invites">') and "<html" not in html
    assert "Invite revoked: its link no longer works." in html
    assert "pending@example.org" not in html
    invite.refresh_from_db()
    assert invite.revoked_at is not None
    again = organizer_client.post(url, follow=True)
    assert "This invite was already used or revoked." in again.content.decode()


def test_revoke_without_javascript_redirects_with_message(organizer_client, organizer) -> None:
    invite, _ = actions.create_invite(by=organizer)
    response = organizer_client.post(
        reverse("members:invite_revoke", args=[invite.pk]), follow=True
    )
    assert response.redirect_chain == [(f"{LIST}#invites", 302)]
    assert "Invite revoked" in response.content.decode()


@pytest.mark.parametrize("who", ["member", "other_member"])
def test_revoke_forbidden_to_members(request, organizer, who: str) -> None:
    invite, _ = actions.create_invite(by=organizer)
    client = client_for(request.getfixturevalue(who))
    assert client.post(reverse("members:invite_revoke", args=[invite.pk])).status_code == 403
    invite.refresh_from_db()
    assert invite.revoked_at is None


def test_revoke_anonymous_sent_to_login(client, organizer) -> None:
    invite, _ = actions.create_invite(by=organizer)
    response = client.post(reverse("members:invite_revoke", args=[invite.pk]))
    assert response["Location"].startswith(reverse("login"))
    invite.refresh_from_db()
    assert invite.revoked_at is None


# --- Joining -------------------------------------------------------------------------


def test_join_page_shows_form_to_anonymous(client: Client, organizer) -> None:
    _, token = actions.create_invite(by=organizer, email="ada@example.org")
    html = client.get(reverse("members:join", args=[token])).content.decode()
    assert "Olga Organizer invited you" in html
    assert 'name="password1"' in html and 'name="password2"' in html
    assert 'value="ada@example.org"' in html


def test_join_creates_account_with_invite_role_logs_in_and_redirects_home(
    client: Client, organizer
) -> None:
    invite, token = actions.create_invite(by=organizer, role=Role.ORGANIZER)
    response = client.post(reverse("members:join", args=[token]), _join_data())
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(username="newbie")
    assert (user.role, user.display_name, user.email) == (
        Role.ORGANIZER,
        "New Bie",
        "newbie@example.org",
    )
    assert user.check_password(PASSWORD)
    invite.refresh_from_db()
    assert invite.used_by == user and invite.used_at is not None
    assert get_user(client).pk == user.pk
    page = client.get("/", follow=True).content.decode()
    assert "Welcome to the reading group, New Bie!" in page


def test_join_second_submit_sees_invite_already_used(client: Client, invite_link) -> None:
    client.post(invite_link, _join_data())
    second = Client().post(invite_link, _join_data(username="another"))
    assert second.status_code == 410
    assert "This invite has already been used" in second.content.decode()
    assert 'name="password1"' not in second.content.decode()
    assert list(
        User.objects.filter(username__in=["newbie", "another"]).values_list("username", flat=True)
    ) == ["newbie"]


def test_join_with_invite_used_between_form_and_submit(organizer) -> None:
    invite, _ = actions.create_invite(by=organizer)
    first = User(username="first")
    first.set_password(PASSWORD)
    actions.join_with_invite(invite=invite, user=first)
    late = User(username="late")
    late.set_password(PASSWORD)
    with pytest.raises(actions.InviteUnusable, match="already been used"):
        actions.join_with_invite(invite=invite, user=late)
    assert not User.objects.filter(username="late").exists()


@pytest.mark.parametrize(
    "data, error",
    [
        ({"password2": "something else entirely"}, "The two password fields didn\u2019t match."),
        ({"password1": "short", "password2": "short"}, "This password is too short."),
        ({"password1": "password", "password2": "password"}, "This password is too common."),
        ({"username": "Mira"}, "A user with that username already exists."),
        ({"email": ""}, "This field is required."),
    ],
)
def test_join_invalid_input_explained_and_invite_kept(
    client: Client, organizer, member, data, error
) -> None:
    invite, token = actions.create_invite(by=organizer)
    response = client.post(reverse("members:join", args=[token]), _join_data(**data))
    assert error in response.content.decode()
    invite.refresh_from_db()
    assert invite.is_usable
    assert not User.objects.filter(username="newbie").exists()


def test_join_unknown_token_is_404_with_explanation(client: Client) -> None:
    response = client.get(reverse("members:join", args=["not-a-real-token"]))
    html = response.content.decode()
    assert response.status_code == 404
    assert "This invite link is not valid." in html and 'name="password1"' not in html


def test_join_expired_invite_is_410(client: Client, organizer) -> None:
    invite, token = actions.create_invite(by=organizer)
    Invite.objects.filter(pk=invite.pk).update(
        created_at=timezone.now() - dt.timedelta(days=10),
        expires_at=timezone.now() - dt.timedelta(days=3),
    )
    url = reverse("members:join", args=[token])
    for response in (client.get(url), client.post(url, _join_data())):
        html = response.content.decode()
        assert response.status_code == 410
        assert "This invite expired on" in html and 'name="password1"' not in html
    assert not User.objects.filter(username="newbie").exists()


def test_join_revoked_invite_is_410(client: Client, organizer) -> None:
    invite, token = actions.create_invite(by=organizer)
    actions.revoke_invite(invite=invite)
    response = client.post(reverse("members:join", args=[token]), _join_data())
    assert response.status_code == 410
    assert "This invite was withdrawn." in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_join_used_invite_get_is_410(client: Client, invite_link) -> None:
    Client().post(invite_link, _join_data())
    response = client.get(invite_link)
    assert response.status_code == 410
    assert "This invite has already been used" in response.content.decode()


def test_join_escapes_inviter_name(client: Client) -> None:
    evil = UserFactory(display_name="<script>alert(1)</script>", role=Role.ORGANIZER)
    _, token = actions.create_invite(by=evil)
    html = client.get(reverse("members:join", args=[token])).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_join_race_two_people_one_link_one_account(organizer) -> None:
    _, token = actions.create_invite(by=organizer)
    url = reverse("members:join", args=[token])
    barrier = threading.Barrier(2)
    results: dict[int, tuple[int, str]] = {}

    def join(i: int) -> None:
        barrier.wait()
        response = Client().post(url, _join_data(username=f"racer{i}"))
        results[i] = (response.status_code, response.content.decode())
        connection.close()

    threads = [threading.Thread(target=join, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(status for status, _ in results.values()) == [302, 410]
    loser = next(body for status, body in results.values() if status == 410)
    assert "This invite has already been used" in loser
    assert User.objects.filter(username__startswith="racer").count() == 1
