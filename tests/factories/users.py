"""Members, their unavailable dates and their want-to-read marks."""

from __future__ import annotations

import datetime as dt

import factory

from readinggroup.models import Role, Unavailability, User, WantToRead


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


class UnavailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unavailability

    user = factory.SubFactory(UserFactory)
    date = factory.Sequence(lambda n: dt.date(2030, 1, 1) + dt.timedelta(days=n))


class WantToReadFactory(factory.django.DjangoModelFactory):
    """A mark made as a member makes it: ``papers.wants.set_want`` (its count moves too)."""

    class Meta:
        model = WantToRead

    user = factory.SubFactory(UserFactory)
    paper = factory.SubFactory("tests.factories.papers.PaperFactory")

    @classmethod
    def _create(cls, model_class, *, user, paper, **kwargs):
        from papers.wants import set_want

        set_want(user=user, paper=paper, wanted=True)
        return WantToRead.objects.get(user=user, paper=paper)
