from __future__ import annotations

import datetime as dt
import re
import threading
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from readinggroup.models import Session, Slot, User
from readinggroup.schedule import scheduling, slides
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
STORED = re.compile(r"^slides/\d{4}/[A-Za-z0-9_-]{22}/(?P<name>[^/]+)$")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def session(organizer: User) -> Session:
    return scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=7), slot_count=2, title="Week 1"
    )


@pytest.fixture
def slot(session: Session, member: User) -> Slot:
    """Slot 1, claimed by Mira."""
    slot = session.slots.get(position=1)
    scheduling.claim_slot(slot=slot, user=member, paper=PaperFactory(title="Pollux"))
    slot.refresh_from_db()
    return slot


@pytest.fixture
def other_client(other_member: User) -> Client:
    client = Client()
    client.force_login(other_member)
    return client


def _pdf(name: str = "My talk.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def _upload(client: Client, slot: Slot, upload: SimpleUploadedFile, **kwargs) -> object:
    return client.post(
        reverse("schedule:slot_slides_set", args=[slot.pk]), {"file": upload}, **kwargs
    )


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_slides_upload_by_presenter_stored_under_unguessable_name(
    member_client, slot, media_root
) -> None:
    response = _upload(member_client, slot, _pdf(), follow=True)
    assert response.redirect_chain == [(slot.session.get_absolute_url(), 302)]
    html = response.content.decode()
    assert "Slides saved." in html
    slides_url = reverse("schedule:slot_slides", args=[slot.pk])
    assert f'<a href="{slides_url}" target="_blank">Slides (PDF)</a>' in html
    slot.refresh_from_db()
    match = STORED.match(slot.slides_file.name)
    assert match and match["name"] == "My_talk.pdf"
    assert [p.read_bytes() for p in _files(media_root)] == [PDF]


def test_slides_served_only_to_logged_in_members(
    member_client, other_client, client, slot, media_root
) -> None:
    _upload(member_client, slot, _pdf())
    slot.refresh_from_db()
    url = reverse("schedule:slot_slides", args=[slot.pk])
    response = other_client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="My_talk.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"{reverse('login')}?next={url}"
    # MEDIA_URL is not routed: the stored path leads nowhere, for anyone (no URL
    # matches, so not even the login redirect: a plain 404 without the file).
    media_url = f"/media/{slot.slides_file.name}"
    for visitor in (other_client, client):
        response = visitor.get(media_url)
        assert response.status_code == 404
        assert PDF not in response.content and response["Content-Type"].startswith("text/html")


def test_slides_pdf_shown_inline_in_a_sandbox(member_client, slot) -> None:
    _upload(member_client, slot, _pdf())
    response = member_client.get(reverse("schedule:slot_slides", args=[slot.pk]))
    assert response["Content-Disposition"].startswith("inline;")
    # A PDF viewer may run the file's script: sandboxed, it has no access to our origin.
    assert response["Content-Security-Policy"] == "sandbox"
    assert b"".join(response.streaming_content) == PDF


def test_slides_view_without_upload_is_404(member_client, slot) -> None:
    response = member_client.get(reverse("schedule:slot_slides", args=[slot.pk]))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response and not response.content.startswith(b"%PDF")


def test_slides_not_a_pdf_refused_before_storing(member_client, slot, media_root) -> None:
    fake = SimpleUploadedFile("talk.pdf", b"<html><script>alert(1)</script>", "application/pdf")
    response = _upload(member_client, slot, fake, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "“talk.pdf” is not a PDF file. Export your slides as PDF." in html
    assert "<html" not in html and "<script>" not in html
    slot.refresh_from_db()
    assert not slot.slides_file
    assert _files(media_root) == []


def test_slides_too_big_refused_before_storing(member_client, slot, media_root, settings) -> None:
    settings.READINGGROUP_MAX_SLIDES_BYTES = 1024
    response = _upload(member_client, slot, _pdf("big.pdf", PDF + b"0" * 2048), follow=True)
    assert "“big.pdf” is 2.1\xa0KB; slides can be at most 1.0\xa0KB." in response.content.decode()
    slot.refresh_from_db()
    assert not slot.slides_file
    assert _files(media_root) == []


@pytest.mark.parametrize("link", ["ftp://example.org/talk.pdf", "javascript:alert(1)"])
def test_slides_link_must_be_http_or_https(member_client, slot, link: str) -> None:
    response = member_client.post(
        reverse("schedule:slot_slides_set", args=[slot.pk]), {"url": link}, follow=True
    )
    assert "Enter a web link starting with https:// or http://." in response.content.decode()
    slot.refresh_from_db()
    assert slot.slides_url == ""


def test_slides_link_with_htmx_returns_the_slot_fragment(member_client, slot) -> None:
    response = member_client.post(
        reverse("schedule:slot_slides_set", args=[slot.pk]),
        {"url": "https://example.org/deck"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode().strip()
    assert html.startswith(f'<article class="card slot" id="slot-{slot.pk}"')
    assert "<html" not in html
    assert "Slides saved." in html
    assert (
        '<a href="https://example.org/deck" rel="noopener noreferrer" target="_blank">'
        "Slides (link)</a>" in html
    )
    slot.refresh_from_db()
    assert slot.slides_url == "https://example.org/deck"


def test_slides_empty_form_is_explained(member_client, slot) -> None:
    response = member_client.post(
        reverse("schedule:slot_slides_set", args=[slot.pk]), {}, follow=True
    )
    assert "Give a link to your slides or choose a PDF to upload." in response.content.decode()


def test_slides_replace_deletes_the_old_file(
    member_client, slot, media_root, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _upload(member_client, slot, _pdf("v1.pdf"))
    with django_capture_on_commit_callbacks(execute=True):
        _upload(member_client, slot, _pdf("v2.pdf", PDF + b"% v2\n"))
    slot.refresh_from_db()
    assert slot.slides_file.name.endswith("/v2.pdf")
    assert [p.name for p in _files(media_root)] == ["v2.pdf"]


def test_slides_remove_clears_link_and_file(
    member_client, slot, media_root, django_capture_on_commit_callbacks
) -> None:
    member_client.post(
        reverse("schedule:slot_slides_set", args=[slot.pk]),
        {"url": "https://example.org/deck", "file": _pdf()},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            reverse("schedule:slot_slides_remove", args=[slot.pk]), follow=True
        )
    html = response.content.decode()
    assert "Slides removed." in html
    assert "Slides (PDF)" not in html and "Slides (link)" not in html
    slot.refresh_from_db()
    assert (slot.slides_url, slot.slides_file.name) == ("", "")
    assert _files(media_root) == []


def test_slides_of_someone_else_forbidden_to_members(
    other_client, client, organizer_client, slot, media_root
) -> None:
    set_url = reverse("schedule:slot_slides_set", args=[slot.pk])
    remove_url = reverse("schedule:slot_slides_remove", args=[slot.pk])
    assert other_client.post(set_url, {"file": _pdf()}).status_code == 403
    assert other_client.post(remove_url).status_code == 403
    anonymous = client.post(set_url, {"url": "https://example.org/x"})
    assert anonymous["Location"] == f"{reverse('login')}?next={set_url}"
    slot.refresh_from_db()
    assert (slot.slides_url, slot.slides_file.name) == ("", "")
    assert _files(media_root) == []
    # Organizers may attach slides for the presenter.
    organizer_client.post(set_url, {"url": "https://example.org/by-olga"})
    slot.refresh_from_db()
    assert slot.slides_url == "https://example.org/by-olga"


def test_slides_form_shown_to_presenter_and_organizer_only(
    member_client, other_client, organizer_client, slot
) -> None:
    page = slot.session.get_absolute_url()
    assert member_client.get(page).content.decode().count("Add slides") == 1
    assert "Add slides" not in other_client.get(page).content.decode()
    # Organizers: on the claimed slot only (an open slot has nobody's slides).
    assert organizer_client.get(page).content.decode().count("Add slides") == 1


def test_slides_links_shown_to_every_member(member_client, other_client, slot) -> None:
    member_client.post(
        reverse("schedule:slot_slides_set", args=[slot.pk]),
        {"url": "https://example.org/deck", "file": _pdf()},
    )
    html = other_client.get(slot.session.get_absolute_url()).content.decode()
    assert 'Slides (PDF)</a> · <a href="https://example.org/deck"' in html
    assert "Replace or remove slides" not in html


def test_slides_leave_with_the_presenter(
    member_client,
    member,
    other_member,
    organizer,
    slot,
    media_root,
    django_capture_on_commit_callbacks,
) -> None:
    _upload(member_client, slot, _pdf())
    # Same presenter, another paper: the slides stay.
    scheduling.assign_slot(slot=slot, by=organizer, presenter=member, paper=PaperFactory())
    slot.refresh_from_db()
    assert slot.slides_file and len(_files(media_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.release_slot(slot=slot, user=member)
    slot.refresh_from_db()
    assert (slot.slides_url, slot.slides_file.name) == ("", "")
    assert _files(media_root) == []
    # Reassigned to someone else: the first presenter's link goes too.
    scheduling.assign_slot(slot=slot, by=organizer, presenter=member, paper=None)
    member_client.post(
        reverse("schedule:slot_slides_set", args=[slot.pk]), {"url": "https://example.org/mira"}
    )
    scheduling.assign_slot(slot=slot, by=organizer, presenter=other_member, paper=None)
    slot.refresh_from_db()
    assert slot.slides_url == ""


# --- Saving the form keeps what it does not replace ------------------------------------


def test_slides_saving_only_a_link_keeps_the_uploaded_pdf(
    member_client, slot, media_root, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _upload(member_client, slot, _pdf())
        response = member_client.post(
            reverse("schedule:slot_slides_set", args=[slot.pk]),
            {"url": "https://example.org/deck"},
            follow=True,
        )
    assert "Slides saved." in response.content.decode()
    slot.refresh_from_db()
    assert slot.slides_url == "https://example.org/deck"
    assert STORED.match(slot.slides_file.name)["name"] == "My_talk.pdf"
    assert [p.read_bytes() for p in _files(media_root)] == [PDF]


def test_slides_form_names_the_current_pdf_and_offers_to_remove_it(member_client, slot) -> None:
    _upload(member_client, slot, _pdf())
    html = member_client.get(slot.session.get_absolute_url()).content.decode()
    assert "Current PDF: My_talk.pdf (kept unless you upload another or remove it)" in html
    assert '<input type="checkbox" name="remove_file"> Remove the PDF</label>' in html


def test_slides_remove_the_pdf_checkbox_deletes_it_and_keeps_the_link(
    member_client, slot, media_root, django_capture_on_commit_callbacks
) -> None:
    _upload(member_client, slot, _pdf())
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            reverse("schedule:slot_slides_set", args=[slot.pk]),
            {"url": "https://example.org/deck", "remove_file": "on"},
            headers={"HX-Request": "true"},
        )
    html = response.content.decode()
    assert "Slides saved." in html and "Slides (PDF)" not in html
    slot.refresh_from_db()
    assert (slot.slides_url, slot.slides_file.name) == ("https://example.org/deck", "")
    assert _files(media_root) == []


def test_slides_removing_the_only_pdf_without_a_link_is_explained(
    member_client, slot, media_root
) -> None:
    _upload(member_client, slot, _pdf())
    response = member_client.post(
        reverse("schedule:slot_slides_set", args=[slot.pk]), {"remove_file": "on"}, follow=True
    )
    assert "Give a link to your slides or choose a PDF to upload." in response.content.decode()
    slot.refresh_from_db()
    assert STORED.match(slot.slides_file.name)
    assert len(_files(media_root)) == 1


def test_slides_on_a_slot_nobody_presents_are_refused_and_not_stored(
    organizer_client, session, media_root
) -> None:
    open_slot = session.slots.get(position=2)
    response = _upload(organizer_client, open_slot, _pdf(), headers={"HX-Request": "true"})
    assert "Nobody presents in this slot, so it cannot have slides." in (response.content.decode())
    open_slot.refresh_from_db()
    assert (open_slot.slides_url, open_slot.slides_file.name) == ("", "")
    assert _files(media_root) == []


def test_deleting_a_presenters_account_deletes_their_slides(
    member_client, member, slot, media_root, django_capture_on_commit_callbacks
) -> None:
    _upload(member_client, slot, _pdf())
    assert len(_files(media_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        member.delete()
    slot.refresh_from_db()
    assert (slot.presenter, slot.slides_url, slot.slides_file.name) == (None, "", "")
    assert _files(media_root) == []


# --- An upload racing a release (PostgreSQL) ---------------------------------------------


def _wait_for_a_lock_wait(errors: list) -> None:
    """Until another connection waits on a row lock (the release behind our upload)."""
    with connection.cursor() as cursor:
        for _ in range(100):
            # Inside a transaction the statistics views keep their first snapshot.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError(f"the release never waited for the upload's lock: {errors}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_release_during_an_upload_deletes_the_new_file_not_orphans_it(
    organizer, member, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    session = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=7), slot_count=1
    )
    slot = session.slots.get()
    scheduling.claim_slot(slot=slot, user=member, paper=PaperFactory())
    slides.set_slides(slot=slot, user=member, upload=_pdf("old.pdf"))
    field = Slot._meta.get_field("slides_file")
    new_name = field.storage.save("slides/race/new.pdf", _pdf("new.pdf"))
    errors = []

    def release() -> None:
        try:
            scheduling.release_slot(slot=Slot.objects.get(pk=slot.pk), user=member)
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    # An upload holds the row lock while it swaps the file; the release comes meanwhile.
    with transaction.atomic():
        current = Slot.objects.select_for_update().get(pk=slot.pk)
        racer = threading.Thread(target=release)
        racer.start()
        _wait_for_a_lock_wait(errors)
        old_name = current.slides_file.name
        current.slides_file.name = new_name
        current.save(update_fields=["slides_file"])
        transaction.on_commit(lambda: field.storage.delete(old_name))
    racer.join(10)

    assert errors == []
    slot.refresh_from_db()
    assert (slot.presenter, slot.slides_file.name) == (None, "")
    assert _files(settings.MEDIA_ROOT) == []  # neither file left behind
