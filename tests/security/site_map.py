"""Every URL of the site with real objects behind it, for tests that visit them all.

``site_urls(world)`` walks the URLconf, so a new view is visited without anyone adding
it here; a new URL parameter needs a rule in ``_value_for`` (a test fails until then).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from axes.models import AccessAttempt
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from papers.models import DuplicateCandidate, PendingImport
from readinggroup.ical.tokens import create_token
from readinggroup.members.actions import create_invite
from readinggroup.models import Notification, Session, Slot, Unavailability, User
from readinggroup.notes.actions import post_note
from readinggroup.notifications.unsubscribe import make_token
from tests.factories import ListingFactory, OrganizerFactory, PaperFactory, UserFactory

ROLES = ("anonymous", "member", "organizer")


@dataclass
class World:
    """One of everything a URL can name, and a logged-in client per role."""

    member: User
    organizer: User
    ids: dict[str, int]
    tokens: dict[str, str]

    def client(self, role: str) -> Client:
        # The responses are what a visitor gets: a view's exception becomes its error page.
        client = Client(raise_request_exception=False)
        if role != "anonymous":
            client.force_login(self.member if role == "member" else self.organizer)
        return client


def make_world() -> World:
    member = UserFactory(username="fuzz-member", display_name="Fuzz Member")
    organizer = OrganizerFactory(username="fuzz-organizer", display_name="Fuzz Organizer")
    paper = ListingFactory().paper
    other = PaperFactory(title="A near duplicate of the first paper")
    session = Session.objects.create(starts_at=timezone.now() + dt.timedelta(days=7), slot_count=1)
    slot = Slot.objects.create(session=session, position=1, presenter=member, paper=paper)
    note = post_note(author=member, body="A note *with* Markdown.", paper=paper)
    invite, invite_token = create_invite(by=organizer, email="newcomer@example.org")
    unavailable = Unavailability.objects.create(
        user=member, date=timezone.localdate() + dt.timedelta(days=3)
    )
    pending = PendingImport.objects.create(
        uploaded_by=organizer, filename="list.bib", content=b"@article{a, title={A paper}}"
    )
    candidate = DuplicateCandidate.objects.create(
        paper_a=paper, paper_b=other, score=0.9, reason="similar titles"
    )
    notification = Notification.objects.create(
        kind=Notification._meta.get_field("kind").choices[0][0],
        scope="fuzz",
        recipient=member,
        session=session,
    )
    attempt = AccessAttempt.objects.create(
        username=member.username,
        ip_address="127.0.0.1",
        user_agent="fuzz",
        failures_since_start=1,
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info="/accounts/login/",
    )
    return World(
        member=member,
        organizer=organizer,
        ids={
            "papers/": paper.pk,
            "papers/import/": pending.pk,
            "papers/duplicates/": candidate.pk,
            "notes/": note.pk,
            "members/": member.pk,
            "members/invites/": invite.pk,
            "members/lockouts/": attempt.pk,
            "profile/unavailable/": unavailable.pk,
            "calendar/sessions/": session.pk,
            "notifications/": notification.pk,
            "sessions/": session.pk,
            "slots/": slot.pk,
        },
        tokens={
            "join/": invite_token,
            "calendar/": create_token(user=member),
            "notifications/unsubscribe/": make_token(member, "digest"),
            "uidb64": urlsafe_base64_encode(force_bytes(member.pk)),
            "reset-token": default_token_generator.make_token(member),
        },
    )


def _routes(patterns: list, prefix: str = "") -> list[str]:
    routes = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            routes += _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            routes.append(prefix + str(pattern.pattern))
    return routes


_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _value_for(before: str, name: str, world: World) -> str:
    """The value of URL parameter ``name`` after ``before`` (the URL so far)."""
    if before.startswith("admin/"):
        # The admin's object ids, app labels and models: any value shows its handling.
        return {"app_label": "readinggroup", "object_id": "1", "content_type_id": "1"}.get(
            name, "1"
        )
    if name == "pk":
        return str(world.ids[before])
    if name == "uidb64":
        return world.tokens["uidb64"]
    if name == "token" and before == "accounts/reset/" + world.tokens["uidb64"] + "/":
        return world.tokens["reset-token"]
    if name == "token":
        return world.tokens[before]
    raise KeyError(f"no value for <{name}> after {before!r}: add a rule to _value_for")


def site_urls(world: World) -> list[str]:
    """Every route of the URLconf as a URL with real objects (regex routes are left out)."""
    urls = []
    for route in _routes(get_resolver().url_patterns):
        if route.startswith("^") or "(?P" in route:
            continue  # a regex route (the admin's catch-all): nothing to fill in
        url, done = "", 0
        for match in _PARAMETER.finditer(route):
            url += route[done : match.start()]
            url += _value_for(url, match.group(2), world)
            done = match.end()
        urls.append("/" + url + route[done:])
    return sorted(set(urls))
