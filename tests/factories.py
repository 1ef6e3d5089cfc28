from __future__ import annotations

import factory

from papers.models import Listing, Paper, ReadingList, Topic
from papers.parsing.titles import fold, title_key
from readinggroup.models import Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    display_name = factory.Faker("name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.MEMBER
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"organizer{n}")
    role = Role.ORGANIZER


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
