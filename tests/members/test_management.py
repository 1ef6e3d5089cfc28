from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from readinggroup.members import actions
from readinggroup.models import Role, Session, Slot, User
from readinggroup.schedule import scheduling, slides
from tests.factories import OrganizerFactory, PaperFactory, UserFactory

from .conftest import HTMX, client_for, make_session

pytestmark = pytest.mark.django_db

LIST = reverse("members:member_list")


def _role_url(user: User) -> str:
    return reverse("members:member_role", args=[user.pk])


def _remove_url(user: User) -> str:
    return reverse("members:member_remove", args=[user.pk])


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


# --- Permissions ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "other_member"])
def test_role_change_forbidden_to_members(request, member, who: str) -> None:
    response = client_for(request.getfixturevalue(who)).post(
        _role_url(member), {"role": Role.ORGANIZER}
    )
    assert response.status_code == 403
    assert _fresh(member).role == Role.MEMBER


@pytest.mark.parametrize("who", ["member", "other_member"])
def test_remove_forbidden_to_members(request, member, who: str) -> None:
    response = client_for(request.getfixturevalue(who)).post(_remove_url(member))
    assert response.status_code == 403
    assert _fresh(member).is_active


def test_role_change_and_remove_anonymous_sent_to_login(client: Client, member) -> None:
    for url in (_role_url(member), _remove_url(member)):
        response = client.post(url, {"role": Role.ORGANIZER})
        assert response["Location"].startswith(reverse("login"))
    member = _fresh(member)
    assert (member.role, member.is_active) == (Role.MEMBER, True)


def test_role_change_refuses_get(organizer_client, member) -> None:
    assert organizer_client.get(_role_url(member)).status_code == 405
    assert organizer_client.get(_remove_url(member)).status_code == 405


def test_role_change_of_removed_member_is_404(organizer_client) -> None:
    gone = UserFactory(is_active=False)
    assert organizer_client.post(_role_url(gone), {"role": Role.ORGANIZER}).status_code == 404
    assert organizer_client.post(_remove_url(gone)).status_code == 404


def test_role_change_without_csrf_token_is_refused(organizer, member) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(organizer)
    assert client.post(_role_url(member), {"role": Role.ORGANIZER}).status_code == 403
    assert _fresh(member).role == Role.MEMBER


# --- Promote and demote --------------------------------------------------------------


def test_promote_with_htmx_returns_row_fragment(organizer_client, member) -> None:
    response = organizer_client.post(_role_url(member), {"role": Role.ORGANIZER}, headers=HTMX)
    html = response.content.decode().strip()
    assert html.startswith(f'<tr id="member-{member.pk}"')
    assert "<html" not in html
    assert "Mira Member is now an organizer." in html
    assert "Make member" in html and '<span class="badge">organizer</span>' in html
    assert _fresh(member).role == Role.ORGANIZER


def test_promote_without_javascript_redirects_with_message(organizer_client, member) -> None:
    response = organizer_client.post(_role_url(member), {"role": Role.ORGANIZER}, follow=True)
    assert response.redirect_chain == [(f"{LIST}#member-{member.pk}", 302)]
    assert "Mira Member is now an organizer." in response.content.decode()
    assert _fresh(member).role == Role.ORGANIZER


def test_demote_other_organizer(organizer_client) -> None:
    second = OrganizerFactory(display_name="Second Organizer")
    response = organizer_client.post(_role_url(second), {"role": Role.MEMBER}, headers=HTMX)
    assert "Second Organizer is now a member." in response.content.decode()
    assert _fresh(second).role == Role.MEMBER


def test_demote_self_when_another_organizer_remains(organizer_client, organizer) -> None:
    OrganizerFactory()
    response = organizer_client.post(_role_url(organizer), {"role": Role.MEMBER}, follow=True)
    assert "Olga Organizer is now a member." in response.content.decode()
    assert _fresh(organizer).role == Role.MEMBER


def test_demote_self_as_last_organizer_is_refused(organizer_client, organizer) -> None:
    response = organizer_client.post(_role_url(organizer), {"role": Role.MEMBER}, headers=HTMX)
    assert "You are the last organizer: make someone else an organizer first." in (
        response.content.decode()
    )
    assert _fresh(organizer).role == Role.ORGANIZER


def test_demote_self_as_last_organizer_without_javascript(organizer_client, organizer) -> None:
    response = organizer_client.post(_role_url(organizer), {"role": Role.MEMBER}, follow=True)
    assert "You are the last organizer" in response.content.decode()
    assert _fresh(organizer).role == Role.ORGANIZER


def test_inactive_organizers_do_not_count(organizer_client, organizer) -> None:
    OrganizerFactory(is_active=False)
    organizer_client.post(_role_url(organizer), {"role": Role.MEMBER})
    assert _fresh(organizer).role == Role.ORGANIZER


def test_demote_superuser_is_explained(organizer_client) -> None:
    root = OrganizerFactory(display_name="Root", is_superuser=True)
    response = organizer_client.post(_role_url(root), {"role": Role.MEMBER}, headers=HTMX)
    assert "Root is a superuser and stays an organizer" in response.content.decode()
    assert _fresh(root).role == Role.ORGANIZER


def test_role_change_bad_role_is_refused(organizer_client, member) -> None:
    response = organizer_client.post(_role_url(member), {"role": "admin"}, headers=HTMX)
    assert "Choose organizer or member." in response.content.decode()
    assert _fresh(member).role == Role.MEMBER


def test_set_role_by_someone_no_longer_organizer_is_refused(organizer, member) -> None:
    demoted = UserFactory()  # an organizer page open in a stale tab
    with pytest.raises(actions.MemberError, match="no longer an organizer"):
        actions.set_role(member=member, role=Role.ORGANIZER, by=demoted)
    assert _fresh(member).role == Role.MEMBER


# --- Remove --------------------------------------------------------------------------


def test_remove_with_htmx_deactivates_and_keeps_history(organizer_client, member) -> None:
    past = make_session(days=-10, presenters=[member])
    response = organizer_client.post(_remove_url(member), headers=HTMX)
    html = response.content.decode().strip()
    assert html.startswith(f'<tr id="member-{member.pk}"') and "<html" not in html
    assert "Mira Member was removed; their history stays." in html
    assert '<span class="badge bad">removed</span>' in html
    assert "Make organizer" not in html
    assert not _fresh(member).is_active
    assert past.slots.get().presenter == member


def test_remove_without_javascript_redirects_and_hides_member(organizer_client, member) -> None:
    response = organizer_client.post(_remove_url(member), follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [(f"{LIST}#member-{member.pk}", 302)]
    assert "Mira Member was removed; their history stays." in html
    assert 'class="member-name">Mira Member<' not in html


def test_remove_frees_upcoming_slots_and_scribe_roles(organizer_client, member) -> None:
    ahead = make_session(days=7, presenters=[member], scribe=member)
    past = make_session(days=-7, presenters=[member], scribe=member)
    response = organizer_client.post(_remove_url(member), follow=True)
    assert "Their 1 upcoming slot open again." in response.content.decode()
    slot = ahead.slots.get()
    assert (slot.presenter, slot.paper, slot.confirmed_at) == (None, None, None)
    assert Session.objects.get(pk=ahead.pk).scribe is None
    assert Session.objects.get(pk=past.pk).scribe == member
    assert Slot.objects.get(session=past).presenter == member


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_remove_takes_their_slides_and_the_next_claimant_inherits_none(
    organizer_client,
    organizer,
    member,
    other_member,
    media_root,
    django_capture_on_commit_callbacks,
) -> None:
    session = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=7), slot_count=1
    )
    slot = session.slots.get()
    scheduling.claim_slot(slot=slot, user=member, paper=PaperFactory())
    upload = SimpleUploadedFile("Mira's talk.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    slides.set_slides(slot=slot, user=member, url="https://example.org/mira", upload=upload)
    assert len([p for p in media_root.rglob("*") if p.is_file()]) == 1
    Session.objects.filter(pk=session.pk).update(updated_at=timezone.now() - dt.timedelta(days=1))
    before = Session.objects.get(pk=session.pk).updated_at

    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(_remove_url(member), follow=True)

    assert "Their 1 upcoming slot open again." in response.content.decode()
    slot.refresh_from_db()
    assert (slot.presenter, slot.slides_url, slot.slides_file.name) == (None, "", "")
    assert [p for p in media_root.rglob("*") if p.is_file()] == []
    assert Session.objects.get(pk=session.pk).updated_at > before  # calendars refresh
    scheduling.claim_slot(slot=slot, user=other_member, paper=PaperFactory())
    page = client_for(other_member).get(session.get_absolute_url()).content.decode()
    assert "Slides (PDF)" not in page and "https://example.org/mira" not in page


def test_database_refuses_slides_on_a_slot_nobody_presents(organizer, member) -> None:
    session = make_session(days=7, presenters=[member])
    Slot.objects.filter(session=session).update(slides_url="https://example.org/deck")
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(session=session).update(presenter=None, confirmed_at=None)
    assert Slot.objects.get(session=session).presenter == member


def test_organizers_are_the_role_and_superusers(organizer, member) -> None:
    root = UserFactory(username="root", is_superuser=True)
    assert set(User.objects.organizers()) == {organizer, root}
    assert member not in User.objects.filter(is_active=True).organizers()


def test_removed_member_is_logged_out(organizer_client, member_client, member) -> None:
    organizer_client.post(_remove_url(member))
    response = member_client.get(LIST)
    assert response["Location"].startswith(reverse("login"))


def test_remove_self_as_last_organizer_is_refused(organizer_client, organizer) -> None:
    response = organizer_client.post(_remove_url(organizer), headers=HTMX)
    assert "You are the last organizer" in response.content.decode()
    assert _fresh(organizer).is_active


def test_remove_self_when_another_organizer_remains(organizer_client, organizer) -> None:
    OrganizerFactory()
    organizer_client.post(_remove_url(organizer))
    assert not _fresh(organizer).is_active


# --- Two organizers at once ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.parametrize("action", ["demote", "remove"])
def test_two_organizers_demoting_each_other_leave_one(action: str) -> None:
    organizers = [OrganizerFactory(username=f"boss{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    bodies: dict[int, str] = {}

    def act(i: int) -> None:
        client = client_for(organizers[i])
        target = organizers[1 - i]
        url = _role_url(target) if action == "demote" else _remove_url(target)
        barrier.wait()
        bodies[i] = client.post(url, {"role": Role.MEMBER}, headers=HTMX).content.decode()
        connection.close()

    threads = [threading.Thread(target=act, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    left = User.objects.filter(role=Role.ORGANIZER, is_active=True)
    assert left.count() == 1
    assert sum("no longer an organizer" in body for body in bodies.values()) == 1
