from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from readinggroup.models import User

from .csp_watch import browser, no_csp_violations  # noqa: F401  (fixtures for every test)
from .factories import OrganizerFactory, UserFactory

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES_DIR


@pytest.fixture
def member(db) -> User:
    return UserFactory(username="mira", display_name="Mira Member")


@pytest.fixture
def other_member(db) -> User:
    return UserFactory(username="otto", display_name="Otto Other")


@pytest.fixture
def organizer(db) -> User:
    return OrganizerFactory(username="olga", display_name="Olga Organizer")


@pytest.fixture
def member_client(member: User) -> Client:
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def organizer_client(organizer: User) -> Client:
    client = Client()
    client.force_login(organizer)
    return client


@pytest.fixture
def seeded(db) -> None:
    """The catalogue as the README's run command leaves it."""
    call_command("seed", stdout=io.StringIO())
