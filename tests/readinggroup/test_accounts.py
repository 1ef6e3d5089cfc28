from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_password_reset_by_email_lets_member_log_in_with_new_password(
    client: Client, member
) -> None:
    response = client.post(reverse("password_reset"), {"email": member.email}, follow=True)
    assert "Check your email" in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [member.email]
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
        follow=True,
    )
    assert "Password set" in done.content.decode()
    assert client.login(username=member.username, password="a brand new passphrase")


def test_password_reset_for_unknown_email_sends_nothing_and_reveals_nothing(
    client: Client, member
) -> None:
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []


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
