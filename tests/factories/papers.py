"""The catalogue: reading lists, topics, papers, listings, aliases, duplicate pairs and
uploads waiting for confirmation."""

from __future__ import annotations

import factory

from papers.models import (
    DuplicateCandidate,
    Listing,
    Paper,
    PaperAlias,
    PendingImport,
    ReadingList,
    Topic,
)
from papers.parsing.titles import fold, title_key

from .users import OrganizerFactory


class ReadingListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReadingList

    name = factory.Sequence(lambda n: f"Reading list {n}")
    source_name = factory.Sequence(lambda n: f"list-{n}.md")
    format = "markdown-list"
    content_sha256 = "0" * 64


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    reading_list = factory.SubFactory(ReadingListFactory)
    name = factory.Sequence(lambda n: f"Topic {n}")
    position = factory.Sequence(lambda n: n + 1)


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper

    title = factory.Sequence(lambda n: f"Paper number {n}: scaling things")
    title_key = factory.LazyAttribute(lambda p: title_key(p.title))
    venue = "OSDI"
    year = 2023
    authors = "Ada Lovelace and Alan Turing"
    citation_key = factory.Sequence(lambda n: f"paper{n}")
    search_text = factory.LazyAttribute(
        lambda p: fold(" ".join([p.title, p.short_name, p.authors, p.venue]))
    )
    short_name = ""


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    paper = factory.SubFactory(PaperFactory)
    topic = factory.SubFactory(TopicFactory)
    position = factory.Sequence(lambda n: n + 1)
    line = factory.Sequence(lambda n: n + 1)
    raw_text = factory.LazyAttribute(lambda listing: f"- *{listing.paper.title}*")


class PaperAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaperAlias

    paper = factory.SubFactory(PaperFactory)
    title_key = factory.Sequence(lambda n: f"an older title number {n}")


class DuplicateCandidateFactory(factory.django.DjangoModelFactory):
    """A pair to review; ``paper_a`` has the lower id, as the constraint demands."""

    class Meta:
        model = DuplicateCandidate

    paper_a = factory.SubFactory(PaperFactory)
    paper_b = factory.SubFactory(PaperFactory)
    score = 0.9
    reason = "similar titles"


class PendingImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PendingImport

    uploaded_by = factory.SubFactory(OrganizerFactory)
    filename = "list.md"
    content = b"# Systems\n\n- *Borg: large-scale cluster management* (EuroSys 2015)\n"
