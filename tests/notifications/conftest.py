"""Fixtures for notifications: a frozen clock, sessions, and real local SMTP and HTTP servers."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import connection

from readinggroup.models import GroupSettings, Notification, OutboxMessage, Session, User
from readinggroup.notifications import recovery, tasks
from readinggroup.schedule import scheduling
from tests.factories import OrganizerFactory, PaperFactory

SITE = "https://reading.example.org"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def site_url(settings) -> str:
    settings.READINGGROUP_SITE_URL = SITE
    settings.TIME_ZONE = "Europe/London"
    settings.DEFAULT_FROM_EMAIL = "readinggroup@example.org"
    return SITE


def london(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.fixture
def clock() -> Iterator[Clock]:
    """A frozen clock the test moves by hand: ``clock.to(london(2026, 3, 5, 9))``."""
    traveller = Clock()
    yield traveller
    traveller.stop()


class Clock:
    def __init__(self) -> None:
        self._travel = None

    def to(self, moment: dt.datetime) -> dt.datetime:
        self.stop()
        self._travel = time_machine.travel(moment, tick=False)
        self._travel.start()
        return moment

    def stop(self) -> None:
        if self._travel is not None:
            self._travel.stop()
            self._travel = None


@pytest.fixture
def group(db) -> GroupSettings:
    return GroupSettings.load()


def make_session(organizer: User, starts_at: dt.datetime, *, slots: int = 2, **fields) -> Session:
    return scheduling.create_session(
        by=organizer,
        starts_at=starts_at,
        slot_count=slots,
        title=fields.pop("title", "Systems"),
        **fields,
    )


def present(session: Session, user: User, *, position: int = 1, title: str = "") -> None:
    """``user`` claims slot ``position`` with a new paper (confirmed, as claims are)."""
    paper = PaperFactory(**({"title": title} if title else {}))
    scheduling.claim_slot(slot=session.slots.get(position=position), user=user, paper=paper)


def run_outbox(task_name: str = "notifications.send") -> list[str]:
    """Play the worker: run every waiting outbox message for ``task_name`` once, in order."""
    task = {
        "notifications.send": tasks.send,
        "notifications.send_digest_now": tasks.send_digest_now,
    }
    results = []
    for message in OutboxMessage.objects.filter(task_name=task_name, enqueued_at__isnull=True):
        OutboxMessage.objects.filter(pk=message.pk).update(enqueued_at=message.created_at)
        results.append(task[task_name].apply(kwargs=message.kwargs).result)
    return results


def run_with_retries(clock: Clock, *, limit: int = 20) -> list[str]:
    """Play the workers and the recovery: run the waiting send tasks; while a row waits
    for a retry, move the clock to its time and let the recovery enqueue it."""
    results = run_outbox()
    for _ in range(limit):
        waiting = (
            Notification.objects.filter(status="pending", retry_at__isnull=False)
            .order_by("retry_at")
            .first()
        )
        if waiting is None:
            return results
        clock.to(waiting.retry_at)
        recovery.recover(now=waiting.retry_at)
        results += run_outbox()
    raise AssertionError(f"still retrying after {limit} rounds")


def sent_to() -> list[tuple[str, str]]:
    return sorted((m.to[0], m.subject) for m in mail.outbox)


@pytest.fixture
def second_organizer(db) -> User:
    return OrganizerFactory(username="omar", display_name="Omar Organizer")


# --- A real SMTP server ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SMTPRecorder:
    """aiosmtpd handler: keeps what it accepts; answers RCPT or DATA with a set reply."""

    rcpt_reply: str = ""
    data_reply: str = ""
    delay: float = 0  # seconds to think before accepting DATA (for races)
    received: list = field(default_factory=list)
    # Called while the client waits for the answer to DATA, in a thread of its own (so
    # with a database connection of its own); what it returns or raises is kept.
    during_data: Callable[[], object] | None = None
    during_data_results: list = field(default_factory=list)
    # Called while the client waits for the answer to QUIT, the same way.
    during_quit: Callable[[], object] | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):
        if self.during_quit is not None:
            in_own_thread(self.during_quit)
        return "221 Bye"

    async def handle_DATA(self, server, session, envelope):
        if self.during_data is not None:
            self.during_data_results.append(in_own_thread(self.during_data))
        if self.data_reply:
            return self.data_reply
        time.sleep(self.delay)  # blocks the server's loop: real time, whatever the clock says
        self.received.append(envelope)
        return "250 Message accepted for delivery"


def in_own_thread(action: Callable[[], object]) -> object:
    """Run ``action`` in a new thread (a new database connection) and wait for it."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(action())
        except Exception as exc:
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome[0]


@dataclass
class SMTPServer:
    handler: SMTPRecorder
    port: int


@pytest.fixture
def smtp_server(settings) -> Iterator[SMTPServer]:
    handler = SMTPRecorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield SMTPServer(handler=handler, port=port)
    finally:
        controller.stop()


@pytest.fixture
def no_smtp_server(settings) -> int:
    """Mail settings pointing at a port nobody listens on: connection refused."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 2
    return port


# --- A real HTTP server for the chat webhook ---------------------------------------------


@dataclass
class Webhook:
    url: str
    status: int = 200
    location: str = ""  # sent as the Location header (for redirects)
    posts: list = field(default_factory=list)


@pytest.fixture
def webhook_server(settings) -> Iterator[Webhook]:
    """A chat server on loopback, which the webhook may reach only when private
    addresses are allowed (as for a group's own Mattermost)."""
    settings.READINGGROUP_WEBHOOK_ALLOW_PRIVATE = True
    hook = Webhook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hook.posts.append(
                {"content_type": self.headers["Content-Type"], "json": json.loads(body)}
            )
            self.send_response(hook.status)
            if hook.location:
                self.send_header("Location", hook.location)
            self.end_headers()
            self.wfile.write(b"ok" if hook.status < 400 else b"error")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/abc"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
