"""What each message says: plain text and HTML emails, and the chat's short form.

Content is built at the moment of sending from the current state of the session,
so a reminder shows the latest papers and a late one never shows stale ones.
Templates live in templates/emails/<kind>.txt and .html.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from readinggroup.ical.ics import for_calendar, session_calendar
from readinggroup.links import absolute, site_url
from readinggroup.models import (
    Notification,
    NotificationKind,
    Session,
    SessionStatus,
    Slot,
    User,
)
from readinggroup.weblinks import safe_url

from . import due
from .digest import Digest, DigestShared, build_digest, build_shared
from .preferences import LABELS, PREFERENCE_FOR_KIND
from .subjects import subject_for, when
from .unsubscribe import unsubscribe_url

ALARM_MINUTES = 60


@dataclass
class SlotLinks:
    """A slot with the absolute links a message shows for it."""

    slot: Slot
    url: str  # the slot on the session page: confirm, decline, attach slides
    paper_url: str  # the paper's catalogue page

    @property
    def has_slides(self) -> bool:
        return bool(self.slot.slides_url or self.slot.slides_file)


def slot_links(slot: Slot) -> SlotLinks:
    session_url = absolute(reverse("schedule:session_detail", args=[slot.session_id]))
    paper_url = absolute(slot.paper.get_absolute_url()) if slot.paper_id else ""
    return SlotLinks(slot=slot, url=f"{session_url}#slot-{slot.pk}", paper_url=paper_url)


def load_session(pk: int | None) -> Session | None:
    """The session with its slots, presenters and papers (what messages and .ics read)."""
    if pk is None:
        return None
    return for_calendar(Session.objects.filter(pk=pk)).first()


# --- Is a session message still worth sending? --------------------------------------


def why_session_message_is_stale(notification: Notification, *, now: dt.datetime) -> str:
    session = load_session(notification.session_id)
    if session is None:
        return "the session was deleted"
    if session.status == SessionStatus.CANCELLED:
        return "the session was cancelled"
    if session.starts_at <= now:
        return due.STARTED
    kind = notification.kind
    if kind == NotificationKind.CONFIRM_NUDGE:
        return _why_confirm_nudge_is_stale(notification)
    if due.scope_start(notification.scope) != due.session_scope(session).split(":")[2]:
        return "the session was rescheduled (reminders follow for its new date)"
    mine = [s for s in session.slots.all() if s.presenter_id == notification.recipient_id]
    if kind in (NotificationKind.PRESENTER_REMINDER, NotificationKind.SLIDES_NUDGE) and not mine:
        return "the recipient no longer presents in this session"
    if kind == NotificationKind.SLIDES_NUDGE and all(s.slides_url or s.slides_file for s in mine):
        return "slides already attached"
    if kind == NotificationKind.ORGANIZER_ALERT and not any(s.is_open for s in session.slots.all()):
        return "every slot has a presenter now"
    return ""


def _why_confirm_nudge_is_stale(notification: Notification) -> str:
    parsed = due.parse_slot_scope(notification.scope)
    slot = Slot.objects.filter(pk=parsed[0]).first() if parsed else None
    if slot is None or slot.presenter_id != notification.recipient_id or slot.assigned_at is None:
        return "the assignment changed"
    if due.slot_scope(slot) != notification.scope:
        return "the assignment changed"
    if slot.confirmed_at is not None:
        return "already confirmed"
    return ""


# --- Emails --------------------------------------------------------------------------


def _session_context(session: Session, recipient: User) -> dict:
    slots = list(session.slots.all())
    return {
        "session": session,
        "when": when(session),
        "session_url": absolute(session.get_absolute_url()),
        "slots": [slot_links(s) for s in slots],
        "mine": [slot_links(s) for s in slots if s.presenter_id == recipient.pk],
        "open_count": sum(1 for s in slots if s.is_open),
    }


def digest_context(digest: Digest) -> dict:
    return {
        "digest": digest,
        "shared": digest.shared,
        "sessions": [
            {
                "session": session,
                "when": when(session),
                "url": absolute(session.get_absolute_url()),
                "slots": list(session.slots.all()),
            }
            for session in digest.sessions
        ],
        "presenting": [slot_links(slot) for slot in digest.presenting],
        "open_slots": [
            {"slot": slot, "when": when(slot.session), "url": slot_links(slot).url}
            for slot in digest.open_slots
        ],
        "wanted": [
            {"paper": paper, "url": absolute(paper.get_absolute_url())} for paper in digest.wanted
        ],
        "notes": [
            {
                "note": note,
                "url": absolute(reverse("notes:note_detail", args=[note.pk])),
                "about": str(note.paper)
                if note.paper_id
                else f"the session of {when(note.session)}",
            }
            for note in digest.notes
        ],
        "sessions_url": absolute(reverse("schedule:session_list")),
    }


@dataclass
class Rendered:
    subject: str
    text: str
    html: str


def render_email(kind: str, context: dict, *, subject: str) -> Rendered:
    context = {"subject": subject, "site_url": site_url(), **context}
    return Rendered(
        subject=subject,
        text=render_to_string(f"emails/{kind}.txt", context),
        html=render_to_string(f"emails/{kind}.html", context),
    )


def render_digest(digest: Digest) -> Rendered:
    """The digest as ``digest.member`` gets it (also the organizers' preview)."""
    context = {**digest_context(digest), **_footer(digest.member, NotificationKind.DIGEST)}
    return render_email(NotificationKind.DIGEST, context, subject=subject_for("digest"))


def _footer(recipient: User, kind: str) -> dict:
    preference = PREFERENCE_FOR_KIND.get(kind)
    profile_url = absolute(reverse("members:profile"))
    if preference is None:
        return {
            "recipient": recipient,
            "because": "you are an organizer of the reading group",
            "profile_url": profile_url,
        }
    return {
        "recipient": recipient,
        "profile_url": profile_url,
        "because": f"you asked for {LABELS[preference]}",
        "unsubscribe_url": unsubscribe_url(recipient, preference),
        "unsubscribe_label": LABELS[preference],
    }


def build_email(notification: Notification, *, now: dt.datetime) -> EmailMultiAlternatives:
    recipient = notification.recipient
    kind = notification.kind
    attachments = []
    if kind == NotificationKind.DIGEST:
        rendered = render_digest(build_digest(member=recipient, now=now))
    else:
        session = load_session(notification.session_id)
        context = {**_session_context(session, recipient), **_footer(recipient, kind)}
        if kind == NotificationKind.CONFIRM_NUDGE:
            parsed = due.parse_slot_scope(notification.scope)
            slot_id = parsed[0] if parsed else None
            context["mine"] = [s for s in context["mine"] if s.slot.pk == slot_id]
        rendered = render_email(kind, context, subject=subject_for(kind, session=session))
        if kind == NotificationKind.SESSION_REMINDER:
            ics = session_calendar(
                [session], name="Reading group", alarm_minutes=ALARM_MINUTES, base_url=site_url()
            )
            attachments.append(("session.ics", ics, "text/calendar; method=PUBLISH"))

    headers = {"Auto-Submitted": "auto-generated"}
    footer = _footer(recipient, kind)
    if "unsubscribe_url" in footer:
        # RFC 2369 and RFC 8058: mail apps show an unsubscribe button that POSTs here.
        headers["List-Unsubscribe"] = f"<{footer['unsubscribe_url']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers=headers,
    )
    email.attach_alternative(rendered.html, "text/html")
    for filename, content, mimetype in attachments:
        email.attach(filename, content, mimetype)
    return email


# --- The chat's short form -----------------------------------------------------------


def chat_escape(text: object) -> str:
    """Slack's escaping for message text: ``&``, ``<`` and ``>`` become entities.

    Every string a member typed (names, titles, places) goes through this, so that
    ``<!channel>`` cannot ping everyone and ``<https://evil|Session page>`` cannot
    show a disguised link. Mattermost and other Slack-compatible hooks read the same.
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slot_line(slot: Slot) -> str:
    if not (slot.presenter_id or slot.paper_id):
        return f"{slot.position}. Open slot"
    who = chat_escape(slot.presenter.name) if slot.presenter_id else "open slot"
    what = chat_escape(slot.paper) if slot.paper_id else "paper to be chosen"
    return f"{slot.position}. {who}: {what}"


def session_webhook_text(session: Session) -> str:
    name = chat_escape(session.title or "Reading group")
    parts = (session.place, safe_url(session.video_url))
    where = " · ".join(chat_escape(part) for part in parts if part)
    lines = [f"*{name}*, {when(session)}" + (f" ({where})" if where else "")]
    lines += [_slot_line(slot) for slot in session.slots.all()]
    lines.append(absolute(session.get_absolute_url()))
    return "\n".join(lines)


def digest_webhook_text(shared: DigestShared) -> str:
    lines = [f"*This week in the reading group* (week of {shared.week_of:%-d %B})"]
    if shared.sessions:
        lines.append("Coming up:")
        for session in shared.sessions:
            papers = sum(1 for s in session.slots.all() if s.paper_id)
            count = f"{papers} paper" + ("s" if papers != 1 else "")
            title = chat_escape(session.title or "session")
            lines.append(f"• {when(session)}: {title} ({count})")
    else:
        lines.append("No session in the next two weeks.")
    if shared.open_slots:
        count = len(shared.open_slots)
        lines.append(
            f"{count} open slot{'s' if count != 1 else ''} to claim: "
            + absolute(reverse("schedule:session_list"))
        )
    if shared.wanted:
        lines.append("Most wanted: " + "; ".join(chat_escape(p) for p in shared.wanted))
    return "\n".join(lines)


def webhook_text(notification: Notification, *, now: dt.datetime) -> str:
    if notification.kind == NotificationKind.DIGEST:
        return digest_webhook_text(build_shared(now=now))
    return session_webhook_text(load_session(notification.session_id))
