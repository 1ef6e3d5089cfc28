"""Sending one claimed Notification, by email or to the chat webhook, at most once.

The row is locked while it is sent (a second copy of the task waits, or on
PostgreSQL skips it), and it moves pending → sent with a conditional UPDATE only
after the SMTP server (or webhook) accepted the message. A task that finds the
row no longer pending does nothing, so retries and duplicate tasks are harmless.

Failures: a temporary one (connection refused, server gone, a 4xx reply, a
timeout) is retried with exponential backoff up to MAX_ATTEMPTS; a permanent one
(a 5xx reply, an unexpected error) or the last failed attempt marks the row
``failed`` with the error, which organizers see on the notifications page.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from readinggroup.models import (
    Channel,
    GroupSettings,
    Notification,
    NotificationKind,
    NotificationStatus,
    User,
)

from . import messages
from .preferences import why_not_wanted

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 60  # then 2, 4, 8 and 16 minutes: about half an hour in all


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class RetryLater(Exception):
    """A temporary failure; the task retries after ``countdown`` seconds."""

    def __init__(self, message: str, *, countdown: int) -> None:
        super().__init__(message)
        self.countdown = countdown


@dataclass(frozen=True)
class Outcome:
    status: str  # "sent", "dropped", "failed", "retry", "done already", "busy"
    detail: str = ""


def backoff(attempts: int) -> int:
    return BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)


# --- Classifying errors ---------------------------------------------------------------


def smtp_error(exc: Exception) -> DeliveryError:
    """4xx replies and lost connections are temporary; 5xx replies are permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        replies = "; ".join(
            f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items()
        )
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        return DeliveryError(f"Recipient refused ({replies})", permanent=permanent)
    if isinstance(exc, smtplib.SMTPResponseException):
        permanent = 500 <= exc.smtp_code < 600
        return DeliveryError(
            f"SMTP server replied {exc.smtp_code} {_text(exc.smtp_error)}", permanent=permanent
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"SMTP server disconnected: {exc}", permanent=False)
    if isinstance(exc, OSError):  # refused, unreachable, timed out, and other SMTP errors
        return DeliveryError(f"Cannot reach the SMTP server: {exc!r}", permanent=False)
    return DeliveryError(f"Unexpected error: {exc!r}", permanent=True)


def webhook_error(exc: Exception) -> DeliveryError:
    """5xx, 408 and 429 answers and network errors are temporary; other 4xx permanent."""
    if isinstance(exc, urllib.error.HTTPError):
        permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
        return DeliveryError(f"Webhook answered {exc.code} {exc.reason}", permanent=permanent)
    if isinstance(exc, urllib.error.URLError):
        return DeliveryError(f"Cannot reach the webhook: {exc.reason}", permanent=False)
    if isinstance(exc, OSError):
        return DeliveryError(f"Cannot reach the webhook: {exc!r}", permanent=False)
    return DeliveryError(f"Unexpected error: {exc!r}", permanent=True)


def _text(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else str(message)


# --- Sending -----------------------------------------------------------------------


def post_webhook(url: str, text: str) -> None:
    """POST Slack-compatible JSON; raises DeliveryError unless the answer is 2xx."""
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "readinggroup"},
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.READINGGROUP_WEBHOOK_TIMEOUT):
            pass
    except Exception as exc:
        raise webhook_error(exc) from exc


def _send_email(notification: Notification, *, now: dt.datetime) -> str:
    email = messages.build_email(notification, now=now)
    try:
        with get_connection(fail_silently=False) as connection:
            accepted = connection.send_messages([email])
    except Exception as exc:
        raise smtp_error(exc) from exc
    if accepted != 1:
        raise DeliveryError("The mail backend accepted no message.", permanent=False)
    return email.subject


def _send_webhook(notification: Notification, *, now: dt.datetime) -> str:
    url = GroupSettings.load().webhook_url
    post_webhook(url, messages.webhook_text(notification, now=now))
    return notification.subject


def _update(notification: Notification, **fields: object) -> bool:
    """pending → something else, only if still pending (the conditional UPDATE)."""
    changed = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.PENDING
    ).update(**fields)
    return changed == 1


def drop(notification: Notification, reason: str) -> bool:
    return _update(notification, status=NotificationStatus.DROPPED, last_error=reason)


def deliver(notification_id: int, *, now: dt.datetime | None = None) -> Outcome:
    """Send one notification if it is still pending and still useful.

    Raises RetryLater after a temporary failure (the attempt is recorded first).
    """
    now = now or timezone.now()
    retry: RetryLater | None = None
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "session")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            # Deleted, or (PostgreSQL) another worker holds it right now.
            exists = Notification.objects.filter(pk=notification_id).exists()
            return Outcome("busy" if exists else "done already", "not found")
        if notification.status != NotificationStatus.PENDING:
            return Outcome("done already", notification.status)
        reason = why_not_useful(notification, now=now)
        if reason:
            drop(notification, reason)
            return Outcome("dropped", reason)

        attempts = notification.attempts + 1
        send = _send_email if notification.channel == Channel.EMAIL else _send_webhook
        try:
            subject = send(notification, now=now)
        except Exception as exc:
            error = exc if isinstance(exc, DeliveryError) else smtp_error(exc)
            if not isinstance(exc, DeliveryError):
                log.exception("Notification %s could not be built or sent", notification.pk)
            if error.permanent or attempts >= MAX_ATTEMPTS:
                gave_up = "" if error.permanent else f" (gave up after {attempts} attempts)"
                _update(
                    notification,
                    status=NotificationStatus.FAILED,
                    attempts=attempts,
                    last_error=f"{error}{gave_up}",
                )
                return Outcome("failed", str(error))
            _update(notification, attempts=attempts, last_error=f"Attempt {attempts}: {error}")
            retry = RetryLater(str(error), countdown=backoff(attempts))
        else:
            _update(
                notification,
                status=NotificationStatus.SENT,
                sent_at=timezone.now(),
                attempts=attempts,
                subject=subject[:300],
                last_error="",
            )
            if notification.kind == NotificationKind.DIGEST and notification.recipient_id:
                User.objects.filter(pk=notification.recipient_id).update(last_digest_at=now)
            return Outcome("sent")
    raise retry


def why_not_useful(notification: Notification, *, now: dt.datetime) -> str:
    """Empty if the message should still go out, else why not (kept on the dropped row)."""
    if notification.channel == Channel.EMAIL:
        reason = why_not_wanted(notification.recipient, notification.kind)
        if reason:
            return reason
    elif not GroupSettings.load().webhook_url:
        return "the webhook URL was removed"
    if notification.kind == NotificationKind.DIGEST:
        return ""
    return messages.why_session_message_is_stale(notification, now=now)
