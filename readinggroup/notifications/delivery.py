"""Sending one claimed Notification, by email or to the chat webhook.

Three steps, so that no database transaction is open while the network is slow:

1. **Take.** A short transaction locks the row (``select_for_update``, skipping it on
   PostgreSQL if another worker holds it), checks that it is still pending, not
   waiting for a later retry, and still useful (else drops it), and takes it: a
   conditional UPDATE on the ``attempts`` and the lease it read adds one attempt,
   sets ``sent_at`` (the attempt's start) and a lease: ``lease_expires_at``, a little
   longer than the send timeout (``lease_for``). A lease that expired means its
   worker died: the row is taken over at once. A second worker that read the same
   row updates nothing and answers "busy"; while a lease is live, others answer
   "busy" too, and ``recovery.recover`` enqueues the row again once it expires.
2. **Send**, with no transaction open (on SQLite the write lock is not held while the
   server thinks). A thread renews the lease every third of it while the worker
   waits on a slow server. The moment ``sendmail`` returns (or the webhook answers
   2xx), the row is marked sent in a transaction of its own, before the connection
   is closed (QUIT) or anything else can interrupt.
3. **Or record the failure.** A temporary one (connection refused, server gone, a
   4xx reply, a timeout) sets ``retry_at`` with exponential backoff, up to
   MAX_ATTEMPTS, and frees the lease; ``recovery.recover`` enqueues it when due. A
   permanent one (a 5xx reply, an unexpected error) or the last failed attempt marks
   the row ``failed`` with the error, which organizers see on the notifications page.

A task that finds the row no longer pending does nothing, so retries and duplicate
tasks are harmless. A broker outage does not stop a send in flight (the worker does
not cancel tasks on connection loss), so it never causes a second send.

**Where at-least-once remains.** The server has the message before we can write that
it does, so a recipient gets a message twice only when:

- the worker process dies (``kill -9``, out of memory, power) after the whole message
  went to the server and before the "sent" write commits: while the server answers
  the final dot, plus the one local write after its reply. The lease then expires
  and another worker sends it again;
- the connection drops after the final dot and before the server's reply arrives:
  the server may have queued it, the worker sees a temporary error and retries
  (RFC 1047; a webhook whose answer is lost is the same);
- the database refuses the "sent" write for longer than RECORD_RETRY_PAUSES in all,
  and another worker takes the row over once the lease has expired;
- a worker stops without dying for longer than its lease (process suspended, its
  database connection hung), so it cannot renew, and another takes the row over.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import smtplib
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
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
# A lease is the channel's network timeout (the longest a worker waits on the server
# without hearing from it) plus this margin, and is renewed every third of it, so it
# runs out only when its worker has died or stopped: a few seconds, not an hour.
LEASE_MARGIN = dt.timedelta(seconds=5)
# Waits between tries of the "sent" write when the database refuses it: a message the
# server accepted must not stay pending (another worker would send it again).
RECORD_RETRY_PAUSES = (0.5, 1, 2, 4)


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class NotRecorded(Exception):
    """The server accepted the message and the database would not record it."""


@dataclass(frozen=True)
class Outcome:
    # "sent", "dropped", "failed", "retry", "done already", "busy", "waiting"
    status: str
    detail: str = ""


def backoff(attempts: int) -> int:
    return BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)


def lease_for(channel: str) -> dt.timedelta:
    """How long a worker holds a row it is sending without renewing its lease."""
    timeout = (
        settings.EMAIL_TIMEOUT
        if channel == Channel.EMAIL
        else settings.READINGGROUP_WEBHOOK_TIMEOUT
    )
    return dt.timedelta(seconds=timeout or 60) + LEASE_MARGIN


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
    if isinstance(exc, SoftTimeLimitExceeded):
        return DeliveryError("The send took longer than the task time limit", permanent=False)
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
    if isinstance(exc, SoftTimeLimitExceeded):
        return DeliveryError("The send took longer than the task time limit", permanent=False)
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


Accepted = Callable[[str], None]


def _send_email(notification: Notification, *, now: dt.datetime, accepted: Accepted) -> None:
    """Send the email; call ``accepted(subject)`` as soon as the server has taken it.

    The connection is opened first, so ``send_messages`` leaves it open: the
    acceptance is recorded before QUIT, which a slow server may take its time over.
    """
    email = messages.build_email(notification, now=now)
    mailer = get_connection(fail_silently=False)
    try:
        try:
            mailer.open()
            sent = mailer.send_messages([email])
        except Exception as exc:
            raise smtp_error(exc) from exc
        if sent != 1:
            raise DeliveryError("The mail backend accepted no message.", permanent=False)
        accepted(email.subject)
    finally:
        _close_quietly(mailer)


def _close_quietly(mailer) -> None:
    try:
        mailer.close()
    except Exception as exc:  # the message is sent or failed already; QUIT changes nothing
        log.info("Closing the SMTP connection failed: %r", exc)


def _send_webhook(notification: Notification, *, now: dt.datetime, accepted: Accepted) -> None:
    url = GroupSettings.load().webhook_url
    post_webhook(url, messages.webhook_text(notification, now=now))
    accepted(notification.subject)


def _update(notification: Notification, **fields: object) -> bool:
    """pending → something else, only if still pending (the conditional UPDATE)."""
    changed = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.PENDING
    ).update(**fields)
    return changed == 1


def drop(notification: Notification, reason: str) -> bool:
    return _update(
        notification,
        status=NotificationStatus.DROPPED,
        last_error=reason,
        sent_at=None,
        lease_expires_at=None,
        retry_at=None,
    )


def _take(notification_id: int, *, now: dt.datetime) -> Notification | Outcome:
    """Step 1, a short transaction: the row if it is ours to send now, else what happened.

    Taking it is a conditional UPDATE on the attempts and the lease we read; a
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
        lease = notification.lease_expires_at
        if lease is not None and lease > started:
            return Outcome("busy", "another worker is sending it")
        if notification.retry_at is not None and notification.retry_at > started:
            return Outcome("waiting", f"retrying at {notification.retry_at:%H:%M:%S}")
        reason = why_not_useful(notification, now=now)
        if reason:
            drop(notification, reason)
            return Outcome("dropped", reason)
        fields: dict[str, object] = {}
        if lease is not None:  # its worker died or stopped mid-send: take it over
            interrupted = interrupted_error(notification)
            if notification.attempts >= MAX_ATTEMPTS:
                give_up(notification, interrupted)
                return Outcome("failed", interrupted)
            fields["last_error"] = interrupted
        attempts = notification.attempts + 1
        expires = started + lease_for(notification.channel)
        taken = Notification.objects.filter(
            pk=notification.pk,
            status=NotificationStatus.PENDING,
            attempts=notification.attempts,
            lease_expires_at=lease,
        ).update(
            attempts=attempts, sent_at=started, lease_expires_at=expires, retry_at=None, **fields
        )
        if taken != 1:
            return Outcome("busy", "another worker took it first")
    notification.attempts, notification.sent_at = attempts, started
    notification.lease_expires_at = expires
    # Which process holds the lease: what to look for when a worker dies mid-send.
    log.info(
        "Notification %s: attempt %s taken by process %s", notification.pk, attempts, os.getpid()
    )
    return notification


def interrupted_error(notification: Notification) -> str:
    """What an attempt whose lease ran out left behind, for the organizers' page."""
    return (
        f"Attempt {notification.attempts} was interrupted: the worker sending it "
        "stopped before it finished"
    )


def give_up(notification: Notification, error: str) -> bool:
    """Mark a pending row failed after its last attempt was interrupted."""
    return (
        Notification.objects.filter(
            pk=notification.pk,
            status=NotificationStatus.PENDING,
            attempts=notification.attempts,
            lease_expires_at=notification.lease_expires_at,
        ).update(
            status=NotificationStatus.FAILED,
            sent_at=None,
            lease_expires_at=None,
            retry_at=None,
            last_error=f"{error} (gave up after {notification.attempts} attempts)",
        )
        == 1
    )


class LeaseRenewal:
    """While the block runs, a thread pushes the lease forward every third of it.

    Only a send slower than that touches the database from the thread (with a
    connection of its own). It stops when the row is no longer ours.
    """

    def __init__(self, notification: Notification) -> None:
        self.notification = notification
        self.lease = lease_for(notification.channel)
        self.renewals = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{notification.pk}", daemon=True
        )

    def __enter__(self) -> LeaseRenewal:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        n = self.notification
        try:
            while not self._stop.wait(self.lease.total_seconds() / 3):
                try:
                    renewed = Notification.objects.filter(
                        pk=n.pk,
                        status=NotificationStatus.PENDING,
                        attempts=n.attempts,
                        sent_at=n.sent_at,
                    ).update(lease_expires_at=timezone.now() + self.lease)
                except DatabaseError as exc:
                    log.warning("Could not renew the lease of notification %s: %r", n.pk, exc)
                    connection.close()
                    continue
                if not renewed:
                    return
                self.renewals += 1
        finally:
            connections.close_all()  # this thread's connections only


def _record_sent(notification: Notification, *, subject: str, now: dt.datetime) -> None:
    """The server accepted the message: say so now, in a transaction of its own.

    Only the status is checked: a message that went out is sent, whoever else may have
    taken the row meanwhile. If the database refuses, the write is tried again a few
    times; then NotRecorded (the row stays pending and is sent again once its lease
    has run out: one of the points where at-least-once remains).
    """
    fields = {
        "status": NotificationStatus.SENT,
        "sent_at": timezone.now(),
        "subject": subject[:300],
        "last_error": "",
        "lease_expires_at": None,
        "retry_at": None,
    }
    for pause in (*RECORD_RETRY_PAUSES, None):
        try:
            with transaction.atomic():
                changed = Notification.objects.filter(
                    pk=notification.pk, status=NotificationStatus.PENDING
                ).update(**fields)
                if changed and notification.kind == NotificationKind.DIGEST:
                    User.objects.filter(pk=notification.recipient_id).update(last_digest_at=now)
        except (OperationalError, InterfaceError) as exc:
            if pause is None or connection.in_atomic_block:
                log.error("Notification %s was sent and could not be recorded", notification.pk)
                raise NotRecorded(str(exc)) from exc
            log.warning(
                "Notification %s was sent; recording it failed (%r), trying again in %s s",
                notification.pk,
                exc,
                pause,
            )
            connection.close()
            time.sleep(pause)
            continue
        if not changed:
            log.warning("Notification %s was sent and found no longer pending", notification.pk)
        return


def _finish(notification: Notification, **fields: object) -> bool:
    """Step 3: record a failed attempt, only if the row is still ours (same attempt)."""
    changed = Notification.objects.filter(
        pk=notification.pk,
        status=NotificationStatus.PENDING,
        attempts=notification.attempts,
        sent_at=notification.sent_at,
    ).update(sent_at=None, lease_expires_at=None, **fields)
    if changed != 1:
        log.warning("Notification %s changed while it was being sent", notification.pk)
    return changed == 1


def deliver(notification_id: int, *, now: dt.datetime | None = None) -> Outcome:
    """Send one notification if it is still pending, due and still useful."""
    now = now or timezone.now()
    taken = _take(notification_id, now=now)
    if isinstance(taken, Outcome):
        return taken
    notification, attempts = taken, taken.attempts

    # Step 2: no transaction is open here, so the database stays writable while
    # the SMTP server or the webhook takes its time.
    send = _send_email if notification.channel == Channel.EMAIL else _send_webhook

    def accepted(subject: str) -> None:
        _record_sent(notification, subject=subject, now=now)

    try:
        with LeaseRenewal(notification):
            send(notification, now=now, accepted=accepted)
    except NotRecorded:
        raise
    except Exception as exc:
        error = exc if isinstance(exc, DeliveryError) else smtp_error(exc)
        if not isinstance(exc, DeliveryError):
            log.exception("Notification %s could not be built or sent", notification.pk)
        if error.permanent or attempts >= MAX_ATTEMPTS:
            gave_up = "" if error.permanent else f" (gave up after {attempts} attempts)"
            _finish(notification, status=NotificationStatus.FAILED, last_error=f"{error}{gave_up}")
            return Outcome("failed", str(error))
        retry_at = timezone.now() + dt.timedelta(seconds=backoff(attempts))
        _finish(notification, retry_at=retry_at, last_error=f"Attempt {attempts}: {error}")
        return Outcome("retry", str(error))
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
