"""The emails that bring people in: an invite link, a set-password link, and the
password-reset link.

Invites and set-password links are sent while the organizer waits, so that a failure
can be told to them at once (and the link shown instead). Nothing is lost when a mail
fails: the invite or account already exists. Password resets are sent by a task.
Every link comes from READINGGROUP_SITE_URL.
"""

from __future__ import annotations

import logging
import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives, send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from readinggroup.links import absolute, site_url
from readinggroup.models import Invite, User
from readinggroup.validators import subject_line

logger = logging.getLogger(__name__)

MAIL_ERRORS = (smtplib.SMTPException, OSError)


def send_invite(*, invite: Invite, link: str, by: User) -> bool:
    """Email the invite link to ``invite.email``. False if the mail could not be sent."""
    context = {"invite": invite, "link": link, "by": by}
    subject = render_to_string("readinggroup/members/email/invite_subject.txt", context)
    body = render_to_string("readinggroup/members/email/invite.txt", context)
    try:
        send_mail(subject_line(subject), body, None, [invite.email], fail_silently=False)
    except MAIL_ERRORS:
        logger.exception("Could not email invite %s", invite.pk)
        return False
    return True


def set_password_link(*, user: User) -> str:
    """The absolute link of Django's password-reset page for ``user`` (valid for a few days).

    Made from READINGGROUP_SITE_URL, never from the request's Host header, which a
    visitor controls (raises ImproperlyConfigured when the setting is missing)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute(reverse("password_reset_confirm", args=[uid, token]))


class _ResetEmail(PasswordResetForm):
    """Django's password-reset email, with its link made from READINGGROUP_SITE_URL
    (``link`` in the templates) and mail failures raised, not hidden."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict,
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        path = reverse("password_reset_confirm", args=[context["uid"], context["token"]])
        context = {**context, "link": absolute(path)}
        subject = subject_line(render_to_string(subject_template_name, context))
        body = render_to_string(email_template_name, context)
        EmailMultiAlternatives(subject, body, from_email, [to_email]).send()

    def save_with_site_url(self, **kwargs: object) -> None:
        # The scheme and host come from READINGGROUP_SITE_URL, as in every email, never
        # from the Host header Django's form would otherwise read from the request.
        site = urlsplit(site_url())
        self.save(domain_override=site.netloc, use_https=site.scheme == "https", **kwargs)


class _SetPasswordEmail(_ResetEmail):
    """The reset email for one new account, whose password is not usable yet (Django's
    form skips such accounts)."""

    def __init__(self, user: User) -> None:
        super().__init__({"email": user.email})
        self.user = user

    def get_users(self, email: str) -> list[User]:
        return [self.user]


def send_set_password(*, user: User, by: User) -> bool:
    """Email ``user`` a link to choose their password. False if the mail could not be sent."""
    form = _SetPasswordEmail(user)
    form.is_valid()
    try:
        form.save_with_site_url(
            subject_template_name="readinggroup/members/email/set_password_subject.txt",
            email_template_name="readinggroup/members/email/set_password.txt",
            extra_email_context={"by": by, "days": settings.PASSWORD_RESET_TIMEOUT // 86400},
        )
    except MAIL_ERRORS:
        logger.exception("Could not email a set-password link to user %s", user.pk)
        return False
    return True


def send_password_reset(*, email: str) -> None:
    """Email a reset link to each active account with a password that uses ``email``.

    Run by the ``members.send_password_reset`` task, never in the request: the page
    answers in the same time whether or not an account uses the address. Mail
    failures raise, so that the task retries."""
    form = _ResetEmail({"email": email})
    if not form.is_valid():
        return
    form.save_with_site_url(
        subject_template_name="readinggroup/members/email/password_reset_subject.txt",
        email_template_name="readinggroup/members/email/password_reset.txt",
        extra_email_context={"days": settings.PASSWORD_RESET_TIMEOUT // 86400},
    )
