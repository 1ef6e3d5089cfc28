"""What is due when: each kind's moment in the group's time zone, and who gets it.

A moment is a local wall-clock time ("the day before at 09:00"), turned into an
aware datetime on that date, so it stays 09:00 local on both sides of a
daylight-saving switch. The tick runs every few minutes and looks back over
LOOKBACK: a moment that passed while nothing ran is still found once the workers
come back, and is sent if still useful or recorded as dropped if not. Claiming
(see ``claiming``) makes sure each one is sent once however often it is found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Prefetch, QuerySet

from readinggroup.models import (
    Channel,
    DigestFrequency,
    GroupSettings,
    NotificationKind,
    Session,
    SessionStatus,
    Slot,
    User,
)

from .subjects import subject_for

# How far back a tick looks for moments it has not handled yet.
LOOKBACK = dt.timedelta(hours=48)
# An assignment made by someone else and still unconfirmed this long after gets a nudge.
CONFIRM_AFTER = dt.timedelta(days=2)
STARTED = "session already started"


@dataclass(frozen=True)
class Due:
    """One message to claim: the unique key of its Notification row and what it needs."""

    kind: str
    scope: str
    channel: str = Channel.EMAIL
    recipient_id: int | None = None
    session_id: int | None = None
    subject: str = ""
    # Non-empty: the moment passed and the message is no longer useful. It is recorded
    # as dropped with this reason, and never sent.
    drop_reason: str = ""

    @property
    def key(self) -> tuple[str, str, str, int | None]:
        return (self.kind, self.scope, self.channel, self.recipient_id)


# --- Moments and scopes ------------------------------------------------------------


def group_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(group_tz()).date()


def at_local(day: dt.date, hour: int) -> dt.datetime:
    """``hour``:00 on ``day`` in the group's time zone, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=group_tz())


def days_before(session: Session, days: int, hour: int) -> dt.datetime:
    """``days`` calendar days before the session's local date, at ``hour`` local."""
    return at_local(local_date(session.starts_at) - dt.timedelta(days=days), hour)


def in_window(moment: dt.datetime, now: dt.datetime) -> bool:
    return now - LOOKBACK < moment <= now


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def session_scope(session: Session) -> str:
    """Includes the start, so a rescheduled session gets reminders for its new date."""
    return f"session:{session.pk}:{_stamp(session.starts_at)}"


def scope_start(scope: str) -> str:
    """The start stamp a session scope was made for ("" for other scopes)."""
    parts = scope.split(":")
    return parts[2] if parts[0] == "session" and len(parts) == 3 else ""


def slot_scope(slot: Slot) -> str:
    """Includes the assignment time, so a reassignment gets a nudge of its own."""
    assigned = slot.assigned_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"slot:{slot.pk}:{assigned}"


def parse_slot_scope(scope: str) -> tuple[int, str] | None:
    kind, _, rest = scope.partition(":")
    pk, _, assigned = rest.partition(":")
    return (int(pk), assigned) if kind == "slot" and pk.isdigit() else None


def week_scope(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"week:{year}-W{week:02d}"


def digest_moments(now: dt.datetime, settings_row: GroupSettings) -> list[dt.datetime]:
    """This week's digest moment and last week's (the look-back may reach it)."""
    today = local_date(now)
    monday = today - dt.timedelta(days=today.weekday())
    day = monday + dt.timedelta(days=settings_row.digest_weekday)
    return [
        at_local(day - dt.timedelta(days=7 * back), settings_row.digest_hour) for back in (1, 0)
    ]


# --- Recipients --------------------------------------------------------------------


def reachable(users: QuerySet[User]) -> QuerySet[User]:
    return users.filter(is_active=True).exclude(email="")


def session_reminder_recipients() -> list[User]:
    return list(reachable(User.objects.filter(notify_sessions=True)).order_by("pk"))


def digest_recipients() -> QuerySet[User]:
    return reachable(User.objects.filter(digest=DigestFrequency.WEEKLY)).order_by("pk")


def organizers() -> list[User]:
    return list(reachable(User.objects.organizers()).order_by("pk"))


def _wants_presenter_mail(user: User | None) -> bool:
    return user is not None and user.is_active and bool(user.email) and user.notify_presenting


def _has_slides(slot: Slot) -> bool:
    return bool(slot.slides_url or slot.slides_file)


# --- What is due now ---------------------------------------------------------------


def _candidate_sessions(now: dt.datetime, settings_row: GroupSettings) -> list[Session]:
    """Scheduled sessions whose moments may fall in the window: one query plus slots."""
    ahead = dt.timedelta(days=max(settings_row.reminder_days, 1) + 2)
    slots = Slot.objects.select_related("presenter", "paper").order_by("position")
    return list(
        Session.objects.scheduled()
        .filter(starts_at__gt=now - LOOKBACK - dt.timedelta(days=2), starts_at__lte=now + ahead)
        .select_related("theme_topic")
        .prefetch_related(Prefetch("slots", queryset=slots))
        .order_by("starts_at", "pk")
    )


def _presenters(session: Session) -> dict[int, list[Slot]]:
    mine: dict[int, list[Slot]] = {}
    for slot in session.slots.all():
        if _wants_presenter_mail(slot.presenter):
            mine.setdefault(slot.presenter_id, []).append(slot)
    return mine


def _session_due(session: Session, now: dt.datetime):
    """A maker of this session's Dues: same scope, and dropped if it has started."""
    scope = session_scope(session)
    drop = STARTED if session.starts_at <= now else ""

    def due(kind: str, recipient_id: int | None, channel: str = Channel.EMAIL) -> Due:
        return Due(
            kind=kind,
            scope=scope,
            channel=channel,
            recipient_id=recipient_id,
            session_id=session.pk,
            subject=subject_for(kind, session=session),
            drop_reason=drop,
        )

    return due


def due_now(*, now: dt.datetime, settings_row: GroupSettings | None = None) -> list[Due]:
    """Every message whose moment lies in the look-back window, whether claimed or not."""
    settings_row = settings_row or GroupSettings.load()
    days, hour = settings_row.reminder_days, settings_row.reminder_hour
    webhook = bool(settings_row.webhook_url)
    dues: list[Due] = []
    members: list[User] | None = None
    organizer_list: list[User] | None = None

    for session in _candidate_sessions(now, settings_row):
        due = _session_due(session, now)
        presenters = _presenters(session)
        if in_window(days_before(session, days, hour), now):
            dues += [due(NotificationKind.PRESENTER_REMINDER, pk) for pk in presenters]
            if any(slot.is_open for slot in session.slots.all()):
                if organizer_list is None:
                    organizer_list = organizers()
                dues += [due(NotificationKind.ORGANIZER_ALERT, o.pk) for o in organizer_list]
        if in_window(days_before(session, 1, hour), now):
            # With reminders one day ahead, the presenter reminder already asks for slides.
            if days > 1:
                dues += [
                    due(NotificationKind.SLIDES_NUDGE, pk)
                    for pk, slots in presenters.items()
                    if not all(_has_slides(slot) for slot in slots)
                ]
            if members is None:
                members = session_reminder_recipients()
            dues += [due(NotificationKind.SESSION_REMINDER, m.pk) for m in members]
            if webhook:
                dues.append(due(NotificationKind.SESSION_REMINDER, None, Channel.WEBHOOK))

    dues += _confirm_nudges(now)
    dues += _digests(now, settings_row)
    return dues


def _confirm_nudges(now: dt.datetime) -> list[Due]:
    slots = (
        Slot.objects.filter(
            presenter__isnull=False,
            confirmed_at__isnull=True,
            assigned_at__gt=now - LOOKBACK - CONFIRM_AFTER,
            assigned_at__lte=now - CONFIRM_AFTER,
            session__status=SessionStatus.SCHEDULED,
        )
        .exclude(assigned_by=F("presenter"))
        .select_related("presenter", "session")
    )
    dues = []
    for slot in slots:
        if not _wants_presenter_mail(slot.presenter):
            continue
        dues.append(
            Due(
                kind=NotificationKind.CONFIRM_NUDGE,
                scope=slot_scope(slot),
                recipient_id=slot.presenter_id,
                session_id=slot.session_id,
                subject=subject_for(NotificationKind.CONFIRM_NUDGE, session=slot.session),
                drop_reason=STARTED if slot.session.starts_at <= now else "",
            )
        )
    return dues


def _digests(now: dt.datetime, settings_row: GroupSettings) -> list[Due]:
    dues = []
    for moment in digest_moments(now, settings_row):
        if not in_window(moment, now):
            continue
        dues += digest_dues(
            scope=week_scope(local_date(moment)), webhook=bool(settings_row.webhook_url)
        )
    return dues


def digest_dues(*, scope: str, webhook: bool) -> list[Due]:
    """A digest for every member who wants one (and the chat), under ``scope``."""
    subject = subject_for(NotificationKind.DIGEST)
    dues = [
        Due(kind=NotificationKind.DIGEST, scope=scope, recipient_id=pk, subject=subject)
        for pk in digest_recipients().values_list("pk", flat=True)
    ]
    if webhook:
        dues.append(
            Due(kind=NotificationKind.DIGEST, scope=scope, channel=Channel.WEBHOOK, subject=subject)
        )
    return dues
