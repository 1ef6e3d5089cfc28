"""Which profile preference lets each kind of message through, read at the moment of sending."""

from __future__ import annotations

from readinggroup.models import DigestFrequency, NotificationKind, User

PRESENTING = "presenting"
SESSIONS = "sessions"
DIGEST = "digest"

LABELS = {
    PRESENTING: "reminders before you present",
    SESSIONS: "reminders the day before each session",
    DIGEST: "the weekly digest",
}

# Organizer alerts follow the organizer role, not a preference: no unsubscribe link.
PREFERENCE_FOR_KIND = {
    NotificationKind.PRESENTER_REMINDER: PRESENTING,
    NotificationKind.SLIDES_NUDGE: PRESENTING,
    NotificationKind.CONFIRM_NUDGE: PRESENTING,
    NotificationKind.SESSION_REMINDER: SESSIONS,
    NotificationKind.DIGEST: DIGEST,
}


def is_on(user: User, preference: str) -> bool:
    if preference == PRESENTING:
        return user.notify_presenting
    if preference == SESSIONS:
        return user.notify_sessions
    if preference == DIGEST:
        return user.digest == DigestFrequency.WEEKLY
    raise ValueError(f"Unknown preference {preference!r}")


def turn_off(*, user: User, preference: str) -> None:
    """Idempotent: unsubscribing twice is the same as once."""
    fields = {
        PRESENTING: {"notify_presenting": False},
        SESSIONS: {"notify_sessions": False},
        DIGEST: {"digest": DigestFrequency.NONE},
    }[preference]
    User.objects.filter(pk=user.pk).update(**fields)
    for name, value in fields.items():
        setattr(user, name, value)


def why_not_wanted(user: User, kind: str) -> str:
    """Empty if ``user`` still wants a message of this kind, else the reason, for the log."""
    if not user.is_active:
        return "recipient's account is deactivated"
    if not user.email:
        return "recipient has no email address"
    if kind == NotificationKind.ORGANIZER_ALERT:
        return "" if user.is_organizer else "recipient is no longer an organizer"
    preference = PREFERENCE_FOR_KIND[kind]
    return "" if is_on(user, preference) else f"recipient turned off {LABELS[preference]}"
