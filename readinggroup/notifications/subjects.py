"""Subject lines, also stored on each Notification when it is claimed (the log shows them).

Every email subject is made by ``subject_line``, so none can hold a line break
(Django refuses to send one: a session title with a newline would stop every
message about that session), whatever titles and templates contain.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import dateformat

from readinggroup.models import NotificationKind, Session
from readinggroup.validators import subject_line


def when(session: Session) -> str:
    """``Thu 5 Mar, 16:00`` in the group's time zone."""
    local = session.starts_at.astimezone(ZoneInfo(settings.TIME_ZONE))
    return dateformat.format(local, "D j M, H:i")


def subject_for(kind: str, *, session: Session | None = None) -> str:
    if kind == NotificationKind.DIGEST:
        return subject_line("Your weekly reading group digest")
    if session is None:
        raise ValueError(f"A {kind} message is about a session.")
    name = session.title or "the reading group"
    subject = {
        NotificationKind.PRESENTER_REMINDER: f"Reminder: you present on {when(session)}",
        NotificationKind.SLIDES_NUDGE: f"Your slides for {when(session)}, please",
        NotificationKind.CONFIRM_NUDGE: f"Please confirm: you present on {when(session)}",
        NotificationKind.SESSION_REMINDER: f"Reminder: {name}, {when(session)}",
        NotificationKind.ORGANIZER_ALERT: f"Open slots in the session on {when(session)}",
    }[kind]
    return subject_line(subject)
