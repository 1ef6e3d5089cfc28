"""Stored XSS through links: no link that is not http(s) gets in, and none comes out.

Every stored link field (a paper's link, a session's video link, a slot's slides
link, the chat webhook) against every payload in payloads/script_links.json:
refused by the model, the database, each form and each import format (where the
paper is still imported, without its link); and a row that holds one anyway (from
before these checks) shows no link on any page or in any email.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from papers.models import Paper, PendingImport
from readinggroup.models import GroupSettings, Session, Slot
from readinggroup.notifications import claiming
from readinggroup.schedule import scheduling
from readinggroup.weblinks import WEB_URL_MESSAGE
from tests.factories import PaperFactory
from tests.notifications.conftest import london, run_outbox

from .conftest import SCRIPT_LINKS, WEB_LINKS_TO_ESCAPE, assert_no_script_links, constraints_off

pytestmark = pytest.mark.django_db

# (model, field, the constraint that says "web links only")
LINK_FIELDS = [
    pytest.param(Paper, "url", "paper_url_web", id="paper.url"),
    pytest.param(Session, "video_url", "session_video_url_web", id="session.video_url"),
    pytest.param(Slot, "slides_url", "slot_slides_url_web", id="slot.slides_url"),
    pytest.param(
        GroupSettings, "webhook_url", "group_settings_webhook_url_web", id="groupsettings.webhook"
    ),
]


def _render_filter(value: str) -> str:
    return Template("{% load weblinks %}[{{ value|safe_url }}]").render(Context({"value": value}))


# --- The filter ------------------------------------------------------------------------


@pytest.mark.parametrize("payload", SCRIPT_LINKS)
def test_safe_url_filter_drops_script_link(payload: str) -> None:
    assert _render_filter(payload) == "[]"


@pytest.mark.parametrize(
    "link", ["https://arxiv.org/abs/2309.06180", "http://192.168.1.20/x?a=1&b=2", "HTTPS://A.ORG/"]
)
def test_safe_url_filter_keeps_web_link_escaped(link: str) -> None:
    assert _render_filter(link) == f"[{link.replace('&', '&amp;')}]"


# --- The model and the database ------------------------------------------------------------


def _instance(model: type) -> object:
    return model(pk=1) if model is GroupSettings else model()


@pytest.mark.parametrize(("model", "field", "constraint"), LINK_FIELDS)
@pytest.mark.parametrize("payload", SCRIPT_LINKS)
def test_link_field_refuses_script_link_in_the_model(model, field, constraint, payload) -> None:
    instance = _instance(model)
    setattr(instance, field, payload)
    others = [f.name for f in model._meta.fields if f.name != field]
    with pytest.raises(ValidationError) as refused:
        instance.clean_fields(exclude=others)
    assert list(refused.value.message_dict) == [field]


@pytest.mark.parametrize(("model", "field", "constraint"), LINK_FIELDS)
@pytest.mark.parametrize("payload", SCRIPT_LINKS)
def test_link_field_refuses_script_link_in_the_database(
    model, field, constraint, payload, organizer, member
) -> None:
    if model is Slot:  # a slot may have slides only while someone presents in it
        session = scheduling.create_session(
            by=organizer, starts_at=timezone.now() + dt.timedelta(days=3), slot_count=1
        )
        Slot.objects.filter(session=session).update(presenter=member)
    elif model is Session:
        scheduling.create_session(
            by=organizer, starts_at=timezone.now() + dt.timedelta(days=3), slot_count=1
        )
    elif model is Paper:
        PaperFactory()
    else:
        GroupSettings.load()
    # A split variant may break the single-line constraint first.
    either = f"{constraint}|{constraint.removesuffix('_web')}_single_line"
    with pytest.raises(IntegrityError, match=either), transaction.atomic():
        model.objects.update(**{field: payload})


# --- Forms ----------------------------------------------------------------------------------


def _future(days: int = 10) -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("payload", SCRIPT_LINKS)
def test_session_form_refuses_script_video_link(organizer_client: Client, payload: str) -> None:
    data = {"starts_at": _future(), "duration_minutes": 60, "slot_count": 2, "video_url": payload}
    response = organizer_client.post(reverse("schedule:session_create"), data)
    assert WEB_URL_MESSAGE in response.context["form"].errors["video_url"]
    assert not Session.objects.exists()


@pytest.mark.parametrize("payload", SCRIPT_LINKS)
def test_session_edit_form_refuses_script_video_link(
    organizer_client: Client, organizer, payload: str
) -> None:
    session = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=3), slot_count=1
    )
    data = {"starts_at": _future(), "duration_minutes": 60, "slot_count": 1, "video_url": payload}
    response = organizer_client.post(reverse("schedule:session_edit", args=[session.pk]), data)
    assert WEB_URL_MESSAGE in response.context["form"].errors["video_url"]
    session.refresh_from_db()
    assert session.video_url == ""


@pytest.mark.parametrize("payload", SCRIPT_LINKS)
def test_series_form_refuses_script_video_link(organizer_client: Client, payload: str) -> None:
    data = {
        "title": "Systems",
        "first": "2031-01-09",
        "last": "2031-01-30",
        "time": "16:00",
        "slot_count": 2,
        "duration_minutes": 60,
        "video_url": payload,
    }
    response = organizer_client.post(reverse("schedule:series_create"), data)
    assert WEB_URL_MESSAGE in response.context["form"].errors["video_url"]
    assert not Session.objects.exists()


@pytest.fixture
def claimed_slot(organizer, member) -> Slot:
    session = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=3), slot_count=1
    )
    slot = session.slots.get()
    scheduling.claim_slot(slot=slot, user=member, paper=PaperFactory(title="Pollux"))
    return slot


@pytest.mark.parametrize("payload", SCRIPT_LINKS)
def test_slides_form_refuses_script_link(member_client: Client, claimed_slot, payload) -> None:
    response = member_client.post(
        reverse("schedule:slot_slides_set", args=[claimed_slot.pk]), {"url": payload}, follow=True
    )
    assert WEB_URL_MESSAGE in response.content.decode()
    claimed_slot.refresh_from_db()
    assert claimed_slot.slides_url == ""


@pytest.mark.parametrize("payload", SCRIPT_LINKS)
def test_webhook_settings_form_refuses_script_link(organizer_client: Client, payload) -> None:
    data = {"reminder_days": 3, "reminder_hour": 9, "digest_weekday": 0, "digest_hour": 8}
    response = organizer_client.post(
        reverse("notifications:settings"), {**data, "webhook_url": payload}
    )
    assert WEB_URL_MESSAGE in response.context["form"].errors["webhook_url"]
    assert GroupSettings.load().webhook_url == ""


@pytest.mark.parametrize("payload", WEB_LINKS_TO_ESCAPE)
def test_slides_web_link_with_quotes_stays_inside_its_attribute(
    member_client: Client, other_member, claimed_slot, payload
) -> None:
    member_client.post(
        reverse("schedule:slot_slides_set", args=[claimed_slot.pk]), {"url": payload}
    )
    claimed_slot.refresh_from_db()
    assert claimed_slot.slides_url == payload
    other = Client()
    other.force_login(other_member)
    page = other.get(claimed_slot.session.get_absolute_url()).content.decode()
    assert f'href="{payload.replace(chr(34), "&quot;")}"' in page
    assert_no_script_links(page)


# --- Imports ----------------------------------------------------------------------------------


def _bibtex(link: str) -> bytes:
    return f"@article{{evil2024,\n  title={{An Innocent Title}},\n  url={{{link}}},\n  year={{2024}}\n}}\n".encode()  # noqa: E501


def _markdown_list(link: str) -> bytes:
    return f"1. **Systems**:\n- *[An Innocent Title]({link})* (OSDI24)\n".encode()


def _gitbook(link: str) -> bytes:
    return f"# Reading list\n\n### **Systems**\n\n1. \\[OSDI '24] [An Innocent Title]({link})\n".encode()  # noqa: E501


# (format, file name, maker, the entry's label in the problem, its line)
FORMATS = [
    ("bibtex", "evil.bib", _bibtex, "evil2024", 1),
    ("markdown-list", "evil.md", _markdown_list, "An Innocent Title", 2),
    ("gitbook", "evil-gitbook.md", _gitbook, "An Innocent Title", 5),
]
# Every payload in every format, but a Markdown link ends at whitespace: the split
# variants are never links there (the title keeps them as text), only in BibTeX.
IMPORTS = [
    pytest.param(*rest, link.values[0], id=f"{form}-{link.id}")
    for form, *rest in FORMATS
    for link in SCRIPT_LINKS
    if form == "bibtex" or not any(c.isspace() for c in link.values[0])
]


@pytest.mark.parametrize(("name", "make", "label", "line", "payload"), IMPORTS)
def test_import_reports_script_link_and_imports_the_paper_without_it(
    organizer_client: Client, name, make, label, line, payload
) -> None:
    upload = organizer_client.post(
        reverse("papers:import"), {"file": SimpleUploadedFile(name, make(payload))}
    )
    preview = organizer_client.get(upload["Location"]).content.decode()
    message = (
        f"the link of &#x27;{label}&#x27; (line {line}) is not a web address "
        "(http:// or https://); the paper is imported without it."
    )
    assert message in preview
    assert "Import 1 new paper" in preview
    pending = PendingImport.objects.get()
    organizer_client.post(reverse("papers:import_confirm", args=[pending.pk]))
    paper = Paper.objects.get()
    assert (paper.title, paper.url) == ("An Innocent Title", "")
    assert "url" not in paper.bibtex_fields
    page = organizer_client.get(paper.get_absolute_url()).content.decode()
    assert "<dt>Link</dt>" not in page
    assert_no_script_links(page)


def test_import_keeps_web_link_with_scheme_in_lower_case(organizer_client: Client) -> None:
    upload = organizer_client.post(
        reverse("papers:import"),
        {"file": SimpleUploadedFile("ok.bib", _bibtex("  HTTPS://arxiv.org/abs/2309.06180 "))},
    )
    assert "<h2>Problems</h2>" not in organizer_client.get(upload["Location"]).content.decode()
    organizer_client.post(reverse("papers:import_confirm", args=[PendingImport.objects.get().pk]))
    assert Paper.objects.get().url == "https://arxiv.org/abs/2309.06180"


def test_import_reports_link_longer_than_the_field(organizer_client: Client) -> None:
    long_link = "https://example.org/" + "a" * 500
    upload = organizer_client.post(
        reverse("papers:import"), {"file": SimpleUploadedFile("long.bib", _bibtex(long_link))}
    )
    preview = organizer_client.get(upload["Location"]).content.decode()
    assert "the link of &#x27;evil2024&#x27; (line 1) is longer than 500 characters" in preview


# --- Rows from before the checks: nothing comes out as a link -------------------------------


@pytest.mark.parametrize("payload", SCRIPT_LINKS)
def test_stored_script_links_show_no_link_on_pages(
    member_client: Client, organizer, member, payload
) -> None:
    session = scheduling.create_session(
        by=organizer, starts_at=timezone.now() + dt.timedelta(days=2), slot_count=1
    )
    slot = session.slots.get()
    paper = PaperFactory(title="Pollux")
    scheduling.claim_slot(slot=slot, user=member, paper=paper)
    with constraints_off(Paper, "paper_url_web", "paper_url_single_line"):
        Paper.objects.filter(pk=paper.pk).update(url=payload)
    with constraints_off(Session, "session_video_url_web", "session_video_url_single_line"):
        Session.objects.filter(pk=session.pk).update(video_url=payload)
    with constraints_off(Slot, "slot_slides_url_web", "slot_slides_url_single_line"):
        Slot.objects.filter(pk=slot.pk).update(slides_url=payload)

    for url in (paper.get_absolute_url(), session.get_absolute_url(), reverse("home")):
        page = member_client.get(url).content.decode()
        assert_no_script_links(page)
        assert "video link</a>" not in page and "Slides (link)" not in page


@pytest.mark.parametrize("payload", SCRIPT_LINKS)
def test_stored_script_links_show_no_link_in_reminders(clock, organizer, member, payload) -> None:
    clock.to(london(2026, 3, 2, 12))
    session = scheduling.create_session(
        by=organizer, starts_at=london(2026, 3, 12, 16), slot_count=1, title="Systems"
    )
    paper = PaperFactory(title="Pollux")
    scheduling.claim_slot(slot=session.slots.get(), user=member, paper=paper)
    with constraints_off(Paper, "paper_url_web", "paper_url_single_line"):
        Paper.objects.filter(pk=paper.pk).update(url=payload)
    with constraints_off(Session, "session_video_url_web", "session_video_url_single_line"):
        Session.objects.filter(pk=session.pk).update(video_url=payload)

    for moment in (london(2026, 3, 9, 9, 0), london(2026, 3, 11, 9, 0)):
        clock.to(moment)
        claiming.tick(now=moment)
        run_outbox()

    subjects = {m.subject for m in mail.outbox}
    assert subjects >= {
        "Reminder: you present on Thu 12 Mar, 16:00",  # with the paper's link
        "Reminder: Systems, Thu 12 Mar, 16:00",  # with the video link
    }
    for message in mail.outbox:
        [(html, _)] = message.alternatives
        assert_no_script_links(html)
        assert "Read it" not in message.body and "Video:" not in message.body
        assert "Read it</a>" not in html and ">Video<" not in html
