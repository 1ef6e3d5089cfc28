"""Fixtures shared by the notes tests (test_notes.py, test_notes_page.py); modules
that need another paper or session define their own, which take precedence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from papers.models import Paper
from readinggroup.models import Session
from tests.factories import PaperFactory


@pytest.fixture
def paper(db) -> Paper:
    return PaperFactory(title="Efficient Memory Management for LLM Serving")


@pytest.fixture
def session(db) -> Session:
    """A session a week ahead, without slots."""
    return Session.objects.create(starts_at=timezone.now() + dt.timedelta(days=7))
