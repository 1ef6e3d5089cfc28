"""Notes, posted as members post them (``notes.actions.post_note`` renders the Markdown)."""

from __future__ import annotations

import factory

from readinggroup.models import Note
from readinggroup.notes.actions import post_note

from .papers import PaperFactory
from .users import UserFactory


class NoteFactory(factory.django.DjangoModelFactory):
    """A note on a new paper by default; give ``session=`` or ``parent=`` instead."""

    class Meta:
        model = Note

    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Note {n}: read **section 3** first.")

    @classmethod
    def _create(cls, model_class, *, author, body, session=None, paper=None, parent=None):
        if session is None and paper is None and parent is None:
            paper = PaperFactory()
        return post_note(author=author, body=body, session=session, paper=paper, parent=parent)
