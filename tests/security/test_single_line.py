"""Control characters in one-line fields: refused by forms and models, line breaks refused
by the database, and email subjects one line whatever a title holds (a session title
with a newline used to make every reminder about it fail with BadHeaderError)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, models, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from papers.models import Paper, PendingImport, ReadingList, Topic
from readinggroup.models import (
    Channel,
    GroupSettings,
    Invite,
    Notification,
    NotificationKind,
    NotificationStatus,
    Series,
    Session,
    Slot,
    Unavailability,
    User,
)
from readinggroup.notifications import claiming
from readinggroup.schedule import scheduling
from readinggroup.validators import SINGLE_LINE_MESSAGE, subject_line, validate_single_line
from tests.factories import PaperFactory
from tests.notifications.conftest import london, run_outbox

from .conftest import constraints_off

pytestmark = pytest.mark.django_db

CONTROL = ["\n", "\r", "\r\n", "\t", "\x00", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u2028"]
CONTROL_IDS = ["LF", "CR", "CRLF", "TAB", "NUL", "VT", "FF", "ESC", "DEL", "NEL", "LINE-SEP"]


@pytest.mark.parametrize("char", CONTROL, ids=CONTROL_IDS)
def test_single_line_validator_refuses_control_character(char: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_single_line(f"Evil{char}Bcc: all@example.org")
    assert refused.value.messages == [SINGLE_LINE_MESSAGE]


def test_single_line_validator_accepts_any_printable_text() -> None:
    validate_single_line("Café — naïve ß 日本語 · “quotes” ½ \u00a0non-breaking")


@pytest.mark.parametrize("char", CONTROL, ids=CONTROL_IDS)
def test_subject_line_is_one_line_whatever_it_holds(char: str) -> None:
    assert subject_line(f"  Reminder: Evil{char}Bcc: all@example.org  ") == (
        "Reminder: Evil Bcc: all@example.org"
    )


# --- Forms: a hand-made POST gets a form error ----------------------------------------------


def _future() -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("char", ["\r\n", "\n", "\r"], ids=["CRLF", "LF", "CR"])
def test_session_title_with_line_break_posted_by_hand_is_a_form_error(
    organizer_client: Client, char: str
) -> None:
    data = {
        "title": f"Evil{char}Bcc: all@example.org",
        "starts_at": _future(),
        "duration_minutes": 60,
        "slot_count": 2,
    }
    response = organizer_client.post(reverse("schedule:session_create"), data)
    assert response.context["form"].errors["title"] == [SINGLE_LINE_MESSAGE]
    assert SINGLE_LINE_MESSAGE in response.content.decode()
    assert not Session.objects.exists()


def test_session_edit_with_line_break_in_place_is_a_form_error(
    organizer_client: Client, organizer
) -> None:
    session = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=3), slot_count=1, title="Ok"
    )
    data = {"title": "Ok", "place": "Room 4\r\n12", "starts_at": _future()}
    data |= {"duration_minutes": 60, "slot_count": 1}
    response = organizer_client.post(reverse("schedule:session_edit", args=[session.pk]), data)
    assert response.context["form"].errors["place"] == [SINGLE_LINE_MESSAGE]
    session.refresh_from_db()
    assert session.place == ""


def test_series_title_with_line_break_is_a_form_error(organizer_client: Client) -> None:
    data = {"title": "Systems\r\nBcc: x", "first": "2031-01-09", "last": "2031-01-30"}
    data |= {"time": "16:00", "slot_count": 2, "duration_minutes": 60}
    response = organizer_client.post(reverse("schedule:series_create"), data)
    assert response.context["form"].errors["title"] == [SINGLE_LINE_MESSAGE]
    assert not Series.objects.exists()


def test_display_name_with_line_break_is_a_form_error(member_client: Client, member) -> None:
    data = {"display_name": "Mira\nMember", "email": member.email, "digest": "weekly"}
    response = member_client.post(reverse("members:profile"), data)
    assert response.context["form"].errors["display_name"] == [SINGLE_LINE_MESSAGE]
    member.refresh_from_db()
    assert member.display_name == "Mira Member"


def test_unavailable_note_with_control_character_says_why(member_client: Client) -> None:
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = member_client.post(
        reverse("members:unavailable_add"), {"date": tomorrow, "note": "away\x1b[2J"}, follow=True
    )
    assert SINGLE_LINE_MESSAGE in response.content.decode()
    assert not Unavailability.objects.exists()


def test_import_puts_titles_and_topics_on_one_line(organizer_client: Client) -> None:
    text = "1. **Sys\x1btems**:\n- *An\x0bInnocent\x1b Title* (OSDI24)\n"
    upload = organizer_client.post(
        reverse("papers:import"), {"file": SimpleUploadedFile("a.md", text.encode())}
    )
    assert "<h2>Problems</h2>" not in organizer_client.get(upload["Location"]).content.decode()
    organizer_client.post(reverse("papers:import_confirm", args=[PendingImport.objects.get().pk]))
    assert Paper.objects.get().title == "An Innocent Title"
    assert Topic.objects.get().name == "Sys tems"


# --- The database refuses line breaks in every one-line field -------------------------------


def _single_line_constraints() -> list[tuple[type[models.Model], str, str]]:
    found = []
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name.endswith("_single_line"):
                field = next(iter(constraint.condition.children[0].children))[0].split("__")[0]
                found.append((model, field, constraint.name))
    return found


SINGLE_LINE_CONSTRAINTS = _single_line_constraints()


def test_every_one_line_field_has_a_single_line_constraint() -> None:
    assert sorted(f"{m._meta.label}.{field}" for m, field, _ in SINGLE_LINE_CONSTRAINTS) == [
        "papers.Paper.citation_key",
        "papers.Paper.doi",
        "papers.Paper.entry_type",
        "papers.Paper.pages",
        "papers.Paper.short_name",
        "papers.Paper.title",
        "papers.Paper.url",
        "papers.Paper.venue",
        "papers.PendingImport.filename",
        "papers.ReadingList.name",
        "papers.ReadingList.source_name",
        "papers.Topic.name",
        "readinggroup.GroupSettings.webhook_url",
        "readinggroup.Invite.email",
        "readinggroup.Notification.subject",
        "readinggroup.Series.title",
        "readinggroup.Session.place",
        "readinggroup.Session.title",
        "readinggroup.Session.video_url",
        "readinggroup.Slot.slides_url",
        "readinggroup.Unavailability.note",
        "readinggroup.User.display_name",
        "readinggroup.User.email",
        "readinggroup.User.first_name",
        "readinggroup.User.last_name",
    ]
    # And each has the validator, so forms say it before the database refuses it.
    for model, field, _ in SINGLE_LINE_CONSTRAINTS:
        assert validate_single_line in model._meta.get_field(field).validators or (
            model is Notification  # made by subject_line, never typed
        ), field


@pytest.fixture
def one_of_each(organizer, member) -> None:
    """A row of every model with a one-line field."""
    reading_list = ReadingList.objects.create(
        name="L", source_name="l.bib", format="bibtex", content_sha256="0" * 64
    )
    Topic.objects.create(reading_list=reading_list, name="T", position=1)
    PaperFactory()
    PendingImport.objects.create(uploaded_by=organizer, filename="x.bib", content=b"x")
    series = Series.objects.create(title="S", created_by=organizer)
    session = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=3), slot_count=1, series=series
    )
    Slot.objects.filter(session=session).update(presenter=member)
    GroupSettings.load()
    Unavailability.objects.create(user=member, date=timezone.localdate())
    Invite.objects.create(
        token_hash="0" * 64, email="a@example.org", expires_at=timezone.now() + dt.timedelta(1)
    )
    Notification.objects.create(
        kind=NotificationKind.DIGEST, scope="week:2031-W01", recipient=member, subject="s"
    )


@pytest.mark.parametrize(
    ("model", "field", "constraint"),
    [pytest.param(*c, id=c[2]) for c in SINGLE_LINE_CONSTRAINTS],
)
@pytest.mark.parametrize("char", ["\n", "\r"], ids=["LF", "CR"])
def test_database_refuses_line_break_in_one_line_field(
    one_of_each, model, field, constraint, char
) -> None:
    assert model.objects.exists()
    # The web-link constraint of a link field may answer first.
    either = f"{constraint}|{constraint.removesuffix('_single_line')}_web"
    with pytest.raises(IntegrityError, match=either), transaction.atomic():
        model.objects.update(**{field: f"https://a{char}b"})


# --- Reminders for a session whose title has a newline anyway still go out -----------------


def test_reminders_for_a_session_whose_title_has_a_newline_still_send(
    clock, organizer, member
) -> None:
    clock.to(london(2026, 3, 2, 12))
    session = scheduling.create_session(
        by=organizer, starts_at=london(2026, 3, 12, 16), slot_count=2, title="Systems"
    )
    scheduling.claim_slot(slot=session.slots.get(position=1), user=member, paper=PaperFactory())
    # Stored before the checks existed (or by a restored old backup).
    with constraints_off(Session, "session_title_single_line"):
        Session.objects.filter(pk=session.pk).update(title="Evil\r\nBcc: all@example.org")

    for moment in (london(2026, 3, 9, 9, 0), london(2026, 3, 11, 9, 0)):
        clock.to(moment)
        claiming.tick(now=moment)
        run_outbox()

    reminders = Notification.objects.filter(
        kind=NotificationKind.SESSION_REMINDER, channel=Channel.EMAIL
    )
    assert sorted(reminders.values_list("recipient__username", "status", "subject")) == [
        ("mira", NotificationStatus.SENT, "Reminder: Evil Bcc: all@example.org, Thu 12 Mar, 16:00"),
        ("olga", NotificationStatus.SENT, "Reminder: Evil Bcc: all@example.org, Thu 12 Mar, 16:00"),
    ]
    presenter = Notification.objects.get(kind=NotificationKind.PRESENTER_REMINDER)
    assert presenter.status == NotificationStatus.SENT
    assert not Notification.objects.filter(status=NotificationStatus.FAILED).exists()
    for message in mail.outbox:
        headers = message.message()
        assert "\n" not in message.subject and "\r" not in message.subject
        assert (headers["Bcc"], headers.get_all("Subject")) == (None, [message.subject])
    assert User.objects.get(pk=member.pk).email in {m.to[0] for m in mail.outbox}
