"""Fixtures for the members tests: sessions with slots, and real local SMTP servers."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from django.test import Client, override_settings
from django.utils import timezone

from readinggroup.models import Session, SessionStatus, Slot, User
from readinggroup.schedule import scheduling
from tests.factories import OrganizerFactory, PaperFactory, SessionFactory

HTMX = {"HX-Request": "true"}


def make_session(
    *,
    days: float,
    presenters: list[User | None] = (),
    scribe: User | None = None,
    status: str = SessionStatus.SCHEDULED,
    confirmed: bool = True,
    title: str = "",
) -> Session:
    """A session ``days`` from now (negative: past) whose slots have these presenters.

    Ahead, a confirmed presenter claimed the slot and an unconfirmed one was assigned
    by an organizer; in the past, the slots hold the history they would have left."""
    starts_at = timezone.now() + dt.timedelta(days=days)
    # The group's organizer schedules it; without one, a former organizer did (an active
    # new one would show on the members page, which lists everyone active).
    organizer = User.objects.organizers().filter(is_active=True).first() or OrganizerFactory(
        is_active=False
    )
    session = SessionFactory(
        created_by=organizer, starts_at=starts_at, slot_count=max(1, len(presenters)), title=title
    )
    for slot, presenter in zip(session.slots.order_by("position"), presenters, strict=False):
        if presenter is None:
            continue
        if days > 0 and not confirmed:
            scheduling.assign_slot(
                slot=slot, by=organizer, presenter=presenter, paper=PaperFactory()
            )
        elif days > 0:
            scheduling.claim_slot(slot=slot, user=presenter, paper=PaperFactory())
        else:
            confirmed_at = starts_at - dt.timedelta(days=3) if confirmed else None
            Slot.objects.filter(pk=slot.pk).update(
                presenter=presenter, paper=PaperFactory(), confirmed_at=confirmed_at
            )
    if scribe is not None:
        Session.objects.filter(pk=session.pk).update(scribe=scribe)
    if status == SessionStatus.CANCELLED:
        scheduling.cancel_session(session=session)
    session.refresh_from_db()
    return session


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other_client(other_member: User) -> Client:
    return client_for(other_member)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Recorder:
    """An SMTP server that accepts and keeps every message."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


class _Refuser:
    """An SMTP server that refuses every message, as a full or broken relay does."""

    async def handle_DATA(self, server, session, envelope) -> str:
        return "554 Transaction failed: relay refused"


def _smtp_settings(port: int):
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_TIMEOUT=5,
    )


@pytest.fixture
def smtp_server() -> Iterator[_Recorder]:
    """A real local SMTP server that accepts mail; Django is pointed at it."""
    handler = _Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with _smtp_settings(controller.port):
            yield handler
    finally:
        controller.stop()


@pytest.fixture
def failing_smtp_server() -> Iterator[None]:
    """A real local SMTP server that refuses every message; Django is pointed at it."""
    controller = Controller(_Refuser(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with _smtp_settings(controller.port):
            yield
    finally:
        controller.stop()


@pytest.fixture
def no_smtp_server() -> Iterator[None]:
    """Django pointed at a port where nothing listens: the connection is refused."""
    with _smtp_settings(_free_port()):
        yield


# --- Browser tests (Playwright with Debian's Chromium, as in tests/browser) ----------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }
