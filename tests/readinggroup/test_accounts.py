from __future__ import annotations

import re

import pytest
from django.core import mail
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from readinggroup.models import OutboxMessage
from readinggroup.tasks import send_password_reset
from tests.html import without_csrf

pytestmark = pytest.mark.django_db


SITE = "https://reading.example.org"


@pytest.fixture(autouse=True)
def site_url(settings) -> None:
    settings.READINGGROUP_SITE_URL = SITE


def run_reset_tasks() -> None:
    """Play the worker: run each queued password-reset email task once."""
    for message in OutboxMessage.objects.filter(task_name="members.send_password_reset"):
        send_password_reset.apply(kwargs=message.kwargs, throw=True)
        message.delete()


def test_password_reset_by_email_lets_member_log_in_with_new_password(
    client: Client, member
) -> None:
    response = client.post(reverse("password_reset"), {"email": member.email}, follow=True)
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []  # sent by the worker, not while the visitor waits
    run_reset_tasks()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [member.email]
    link = re.search(rf"{re.escape(SITE)}(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
        follow=True,
    )
    assert "Password set" in done.content.decode()
    password = "a brand new passphrase"
    # django-axes checks every login against its lockouts, so it needs a request.
    assert client.login(request=HttpRequest(), username=member.username, password=password)


def test_password_reset_link_uses_the_site_url_not_the_host_header(client: Client, member) -> None:
    # A name the server answers to (ALLOWED_HOSTS) but not the site's public address.
    client.post(reverse("password_reset"), {"email": member.email}, headers={"host": "localhost"})
    run_reset_tasks()
    body = mail.outbox[0].body
    assert f"{SITE}/accounts/reset/" in body
    assert "localhost" not in body and "testserver" not in body


def test_password_reset_for_unknown_email_sends_nothing_and_reveals_nothing(
    client: Client, member
) -> None:
    known = client.post(reverse("password_reset"), {"email": member.email}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert unknown.redirect_chain == known.redirect_chain
    assert without_csrf(unknown.content.decode()) == without_csrf(known.content.decode())
    # Both queue the same work; only the worker finds out that nobody uses the address.
    assert sorted(m.kwargs["email"] for m in OutboxMessage.objects.all()) == [
        member.email,
        "nobody@example.org",
    ]
    run_reset_tasks()
    assert [m.to for m in mail.outbox] == [[member.email]]


def test_password_change_requires_old_password(member_client: Client, member) -> None:
    url = reverse("password_change")
    bad = member_client.post(
        url,
        {"old_password": "wrong", "new_password1": "x" * 12, "new_password2": "x" * 12},
    )
    assert "Your old password was entered incorrectly" in bad.content.decode()
    good = member_client.post(
        url,
        {
            "old_password": "correct horse battery staple",
            "new_password1": "another fine passphrase",
            "new_password2": "another fine passphrase",
        },
        follow=True,
    )
    assert "Password changed" in good.content.decode()
    member.refresh_from_db()
    assert member.check_password("another fine passphrase")
