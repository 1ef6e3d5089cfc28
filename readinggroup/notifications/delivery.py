"""Sending one claimed Notification, by email or to the chat webhook.

Three steps, so that no database transaction is open while the network is slow:

1. A short transaction locks the row (``select_for_update``, skipping it on
   PostgreSQL if another worker holds it), checks that it is still pending and
   still useful (else drops it), and takes it: a conditional UPDATE on the
   ``attempts`` it read and a free lease adds one attempt and sets the lease.
   While a row is pending, ``sent_at`` is that lease ("being sent since"); it is
   free when empty or older than LEASE. A second worker that read the same row
   updates nothing and answers "busy", so two workers never both send.
2. The message is built and sent with no transaction open: other requests and
   workers keep writing (on SQLite the write lock is not held for EMAIL_TIMEOUT).
3. A conditional UPDATE moves the row pending → sent (``sent_at`` becomes the
   real time), or records the failure and frees the lease.

A task that finds the row no longer pending does nothing, so retries and
duplicate tasks are harmless. Delivery is exactly once except at one point: if
the worker dies after the SMTP server (or webhook) accepted the message and
before step 3 commits, the row stays pending; once its lease has expired and
claiming.requeue_stale sends it again, the recipient gets it twice. That window
is a few milliseconds; anything shorter would need the mail server's help.

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
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from readinggroup.models import (
    Channel,
    GroupSettings,
    Notification,
    NotificationKind,
    NotificationStatus,
    User,
)

from . import messages, webhook_targets
from .preferences import why_not_wanted

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 60  # then 2, 4, 8 and 16 minutes: about half an hour in all
# How long a sender holds a pending row (its ``sent_at`` while pending). Far longer
# than any send (EMAIL_TIMEOUT and READINGGROUP_WEBHOOK_TIMEOUT bound each network
# step), far shorter than claiming.STALE_AFTER, after which a lost task is requeued.
LEASE = dt.timedelta(minutes=10)


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


REFUSED_TARGET = (
    "The webhook URL's host is a private, loopback or link-local address ({detail}); "
    "set READINGGROUP_WEBHOOK_ALLOW_PRIVATE=1 to post to a chat server on your own network."
)


def webhook_error(exc: Exception) -> DeliveryError:
    """5xx, 408 and 429 answers and network errors are temporary; other 4xx permanent,
    and so is a refused address (nothing was sent to it)."""
    refused = getattr(exc, "reason", exc)
    if isinstance(refused, webhook_targets.TargetRefused):
        return DeliveryError(REFUSED_TARGET.format(detail=refused), permanent=True)
    if isinstance(exc, urllib.error.HTTPError) and 300 <= exc.code < 400:
        return DeliveryError(
            f"Webhook answered {exc.code} {exc.reason} (redirects are not followed: "
            "save the address it points to)",
            permanent=True,
        )
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


WEBHOOK_SCHEMES = ("http", "https")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook answers or fails; a redirect (perhaps to ftp://) is not followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


# Every connection is checked against webhook_targets (after DNS, and on the socket).
_opener = webhook_targets.opener(_NoRedirects)


def post_webhook(url: str, text: str) -> None:
    """POST Slack-compatible JSON; raises DeliveryError unless the answer is 2xx."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in WEBHOOK_SCHEMES:
        # The form allows only these; a URL saved another way (admin, shell) stops here,
        # before urllib would fetch ftp:// or file:// addresses.
        raise DeliveryError(
            f"The webhook URL must start with http:// or https:// (not {scheme or 'nothing'}:).",
            permanent=True,
        )
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "readinggroup"},
    )
    try:
        with _opener.open(request, timeout=settings.READINGGROUP_WEBHOOK_TIMEOUT):
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


def _lease_is_held(notification: Notification, now: dt.datetime) -> bool:
    return notification.sent_at is not None and notification.sent_at > now - LEASE


def _take(notification_id: int, *, now: dt.datetime) -> Notification | Outcome:
    """Step 1, a short transaction: the row if it is ours to send now, else what happened.

    Taking it is a conditional UPDATE on the attempts we read and a free lease; a
    concurrent sender that read the same row changes nothing and answers "busy".
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "session")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            # Deleted, or (PostgreSQL) another worker is taking it at this moment.
            exists = Notification.objects.filter(pk=notification_id).exists()
            return Outcome("busy" if exists else "done already", "not found")
        if notification.status != NotificationStatus.PENDING:
            return Outcome("done already", notification.status)
        started = timezone.now()
        if _lease_is_held(notification, started):
            return Outcome("busy", "another worker is sending it")
        reason = why_not_useful(notification, now=now)
        if reason:
            drop(notification, reason)
            return Outcome("dropped", reason)
        attempts = notification.attempts + 1
        taken = (
            Notification.objects.filter(
                pk=notification.pk,
                status=NotificationStatus.PENDING,
                attempts=notification.attempts,
            )
            .filter(Q(sent_at__isnull=True) | Q(sent_at__lte=started - LEASE))
            .update(attempts=attempts, sent_at=started)
        )
        if taken != 1:
            return Outcome("busy", "another worker took it first")
    notification.attempts, notification.sent_at = attempts, started
    return notification


def _finish(notification: Notification, **fields: object) -> bool:
    """Step 3: record the outcome, only if the row is still pending under our lease."""
    changed = Notification.objects.filter(
        pk=notification.pk,
        status=NotificationStatus.PENDING,
        attempts=notification.attempts,
        sent_at=notification.sent_at,
    ).update(**fields)
    if changed != 1:
        log.warning("Notification %s changed while it was being sent", notification.pk)
    return changed == 1


def deliver(notification_id: int, *, now: dt.datetime | None = None) -> Outcome:
    """Send one notification if it is still pending and still useful.

    Raises RetryLater after a temporary failure (the attempt is recorded first).
    """
    now = now or timezone.now()
    taken = _take(notification_id, now=now)
    if isinstance(taken, Outcome):
        return taken
    notification, attempts = taken, taken.attempts

    # Step 2: no transaction is open here, so the database stays writable while
    # the SMTP server or the webhook takes its time.
    send = _send_email if notification.channel == Channel.EMAIL else _send_webhook
    try:
        subject = send(notification, now=now)
    except Exception as exc:
        error = exc if isinstance(exc, DeliveryError) else smtp_error(exc)
        if not isinstance(exc, DeliveryError):
            log.exception("Notification %s could not be built or sent", notification.pk)
        if error.permanent or attempts >= MAX_ATTEMPTS:
            gave_up = "" if error.permanent else f" (gave up after {attempts} attempts)"
            _finish(
                notification,
                status=NotificationStatus.FAILED,
                sent_at=None,
                last_error=f"{error}{gave_up}",
            )
            return Outcome("failed", str(error))
        _finish(notification, sent_at=None, last_error=f"Attempt {attempts}: {error}")
        raise RetryLater(str(error), countdown=backoff(attempts)) from exc

    with transaction.atomic():
        _finish(
            notification,
            status=NotificationStatus.SENT,
            sent_at=timezone.now(),
            subject=subject[:300],
            last_error="",
        )
        if notification.kind == NotificationKind.DIGEST and notification.recipient_id:
            User.objects.filter(pk=notification.recipient_id).update(last_digest_at=now)
    return Outcome("sent")


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
