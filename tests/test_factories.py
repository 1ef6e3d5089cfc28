"""Every model has a factory, and each makes what the app itself would make."""

from __future__ import annotations

import datetime as dt

import factory
import pytest
from django.apps import apps
from django.utils import timezone

from papers.models import Paper
from readinggroup.members.actions import hash_token
from readinggroup.models import Invite, Note, Slot
from tests import factories

pytestmark = pytest.mark.django_db

FACTORIES = [
    getattr(factories, name)
    for name in factories.__all__
    if isinstance(getattr(factories, name), type)
    and issubclass(getattr(factories, name), factory.django.DjangoModelFactory)
]


def test_every_model_of_our_apps_has_a_factory() -> None:
    models = {
        m for app in ("readinggroup", "papers") for m in apps.get_app_config(app).get_models()
    }
    covered = {f._meta.model for f in FACTORIES}
    assert sorted(m.__name__ for m in models - covered) == []


@pytest.mark.parametrize("made_by", FACTORIES, ids=lambda f: f.__name__)
def test_each_factory_saves_a_row_the_database_accepts(made_by) -> None:
    obj = made_by()
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_session_factory_makes_its_slots_through_create_session() -> None:
    session = factories.SessionFactory(slot_count=3)
    assert list(session.slots.values_list("position", "upcoming", "presenter")) == [
        (1, True, None),
        (2, True, None),
        (3, True, None),
    ]


def test_session_factory_presenters_claim_ahead_and_leave_history_in_the_past() -> None:
    ada, bob = factories.UserFactory(), factories.UserFactory()
    ahead = factories.SessionFactory(presenters=[ada, None])
    past = factories.SessionFactory(
        starts_at=timezone.now() - dt.timedelta(days=14), presenters=[bob]
    )
    first = ahead.slots.get(position=1)
    assert (first.presenter, first.paper is not None) == (ada, True)
    assert ahead.slots.get(position=2).is_open
    assert Slot.objects.presented().get(session=past).presenter == bob


def test_slot_factory_gives_an_open_slot_or_a_claimed_one() -> None:
    assert factories.SlotFactory().is_open
    member = factories.UserFactory()
    slot = factories.SlotFactory(presenter=member)
    assert slot.presenter == member and slot.paper is not None and not slot.is_open


def test_note_factory_renders_the_markdown() -> None:
    note = factories.NoteFactory(body="Read **section 3** first.")
    assert Note.objects.get(pk=note.pk).body_html == "<p>Read <strong>section 3</strong> first.</p>"


def test_invite_factory_stores_only_the_tokens_hash() -> None:
    invite = factories.InviteFactory()
    stored = Invite.objects.get(pk=invite.pk)
    assert stored.token_hash == hash_token(invite.token)
    assert invite.token not in stored.token_hash


def test_want_to_read_factory_moves_the_papers_count() -> None:
    paper = factories.PaperFactory()
    factories.WantToReadFactory(paper=paper)
    factories.WantToReadFactory(paper=paper)
    assert Paper.objects.get(pk=paper.pk).want_count == 2
