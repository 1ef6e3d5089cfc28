"""Organizers create accounts directly; the new member chooses a password by email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from readinggroup.models import Role, User

from .conftest import HTMX, client_for

pytestmark = pytest.mark.django_db

LIST = reverse("members:member_list")
CREATE = reverse("members:account_create")
DATA = {
    "username": "ada",
    "display_name": "Ada Lovelace",
    "email": "ada@example.org",
    "role": Role.MEMBER,
}


SITE = "https://reading.example.org"


@pytest.fixture(autouse=True)
def site_url(settings) -> str:
    settings.READINGGROUP_SITE_URL = SITE
    return SITE


def _reset_path(text: str) -> str:
    match = re.search(r"https://reading\.example\.org(/accounts/reset/[^/\s]+/[^/\s]+/)", text)
    assert match, "no set-password link"
    return match.group(1)


def test_account_create_sends_set_password_link_that_works(organizer_client) -> None:
    response = organizer_client.post(CREATE, DATA, follow=True)
    user = User.objects.get(username="ada")
    assert response.redirect_chain == [(f"{LIST}#member-{user.pk}", 302)]
    html = response.content.decode()
    assert "Account created for Ada Lovelace. We emailed ada@example.org a link" in html
    assert 'class="member-name">Ada Lovelace<' in html
    assert (user.role, user.email, user.has_usable_password()) == (
        Role.MEMBER,
        "ada@example.org",
        False,
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert message.subject == "Your reading group account is ready"
    assert "Your username is: ada" in message.body
    # the new member follows the link and chooses a password
    ada = Client()
    form_page = ada.get(_reset_path(message.body), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = ada.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
        follow=True,
    )
    assert "Password set" in done.content.decode()
    # django-axes checks every login against its lockouts, so it needs a request.
    assert ada.login(request=HttpRequest(), username="ada", password="a brand new passphrase")


def test_account_create_as_organizer(organizer_client) -> None:
    organizer_client.post(CREATE, {**DATA, "role": Role.ORGANIZER})
    assert User.objects.get(username="ada").role == Role.ORGANIZER


def test_account_create_with_htmx_redirects_client(organizer_client) -> None:
    response = organizer_client.post(CREATE, DATA, headers=HTMX)
    user = User.objects.get(username="ada")
    assert response["HX-Redirect"] == f"{LIST}#member-{user.pk}"


def test_account_create_taken_username_explained(organizer_client, member) -> None:
    response = organizer_client.post(CREATE, {**DATA, "username": "MIRA"}, headers=HTMX)
    html = response.content.decode().strip()
    assert html.startswith('<section class="card" id="new-account">') and "<html" not in html
    assert "A member with that username already exists." in html
    assert not User.objects.filter(username="MIRA").exists() and mail.outbox == []


def test_account_create_needs_email(organizer_client) -> None:
    response = organizer_client.post(CREATE, {**DATA, "email": ""})
    html = response.content.decode()
    assert "<html" in html and "This field is required." in html
    assert not User.objects.filter(username="ada").exists()


def test_account_create_mail_failure_shows_link_once(organizer_client, failing_smtp_server) -> None:
    response = organizer_client.post(CREATE, DATA, follow=True)
    html = response.content.decode()
    assert "Account created for Ada Lovelace, but the email to ada@example.org could not" in html
    assert "Set-password link" in html
    path = _reset_path(html)
    assert path not in organizer_client.get(LIST).content.decode()
    form_page = Client().get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()


def test_set_password_links_come_from_the_site_url_not_the_host_header(
    organizer_client, failing_smtp_server
) -> None:
    # Emailed link: the SMTP server refuses, so the page shows it instead.
    response = organizer_client.post(CREATE, DATA, headers={"host": "localhost"}, follow=True)
    html = response.content.decode()
    assert _reset_path(html).startswith("/accounts/reset/")
    assert "localhost" not in html


def test_set_password_email_link_comes_from_the_site_url(organizer_client) -> None:
    organizer_client.post(CREATE, DATA, headers={"host": "localhost"})
    [message] = mail.outbox
    assert f"{SITE}/accounts/reset/" in message.body
    assert "localhost" not in message.body


def test_account_create_without_site_url_says_why_and_creates_nothing(
    organizer_client, settings
) -> None:
    settings.READINGGROUP_SITE_URL = ""
    response = organizer_client.post(CREATE, DATA, headers=HTMX)
    html = response.content.decode()
    assert "Links cannot be made yet: READINGGROUP_SITE_URL is not set" in html
    assert not User.objects.filter(username="ada").exists()
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["member", "other_member"])
def test_account_create_forbidden_to_members(request, who: str) -> None:
    response = client_for(request.getfixturevalue(who)).post(CREATE, DATA)
    assert response.status_code == 403
    assert not User.objects.filter(username="ada").exists()


def test_account_create_anonymous_sent_to_login(client: Client) -> None:
    response = client.post(CREATE, DATA)
    assert response["Location"].startswith(reverse("login"))
    assert not User.objects.filter(username="ada").exists()


# --- Sending a new set-password link ------------------------------------------------


@pytest.fixture
def pending(organizer_client) -> User:
    organizer_client.post(CREATE, DATA)
    mail.outbox.clear()
    return User.objects.get(username="ada")


def _resend_url(user: User) -> str:
    return reverse("members:password_link_send", args=[user.pk])


def test_members_page_marks_accounts_without_password_for_organizers(
    organizer_client, member_client, pending
) -> None:
    assert "no password yet" in organizer_client.get(LIST).content.decode()
    html = member_client.get(LIST).content.decode()
    assert "no password yet" not in html and "Resend password link" not in html


def test_password_link_resend_with_htmx(organizer_client, pending) -> None:
    response = organizer_client.post(_resend_url(pending), headers=HTMX)
    html = response.content.decode().strip()
    assert html.startswith(f'<tr id="member-{pending.pk}"') and "<html" not in html
    assert "We emailed ada@example.org a new link to choose a password." in html
    assert len(mail.outbox) == 1
    form_page = Client().get(_reset_path(mail.outbox[0].body), follow=True)
    assert "Choose a new password" in form_page.content.decode()


def test_password_link_resend_without_site_url_says_why(organizer_client, pending, settings):
    settings.READINGGROUP_SITE_URL = ""
    response = organizer_client.post(_resend_url(pending), headers=HTMX)
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="member-{pending.pk}"')
    assert "Links cannot be made yet: READINGGROUP_SITE_URL is not set" in html
    assert mail.outbox == []


def test_password_link_resend_refused_once_password_chosen(organizer_client, member) -> None:
    response = organizer_client.post(_resend_url(member), follow=True)
    assert "Mira Member has already chosen a password." in response.content.decode()
    assert mail.outbox == []


def test_password_link_resend_mail_failure_shows_link(
    organizer_client, pending, no_smtp_server
) -> None:
    response = organizer_client.post(_resend_url(pending), follow=True)
    html = response.content.decode()
    assert "The email to ada@example.org could not be sent." in html
    assert Client().get(_reset_path(html), follow=True).status_code == 200


@pytest.mark.parametrize("who", ["member", "other_member"])
def test_password_link_resend_forbidden_to_members(request, pending, who: str) -> None:
    response = client_for(request.getfixturevalue(who)).post(_resend_url(pending))
    assert response.status_code == 403
    assert mail.outbox == []


def test_password_link_resend_anonymous_sent_to_login(client: Client, pending) -> None:
    assert client.post(_resend_url(pending))["Location"].startswith(reverse("login"))
    assert mail.outbox == []
