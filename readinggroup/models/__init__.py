from .invites import Invite
from .notes import Note
from .notifications import (
    Channel,
    GroupSettings,
    Notification,
    NotificationKind,
    NotificationStatus,
    OutboxMessage,
)
from .sessions import Series, Session, SessionStatus, Slot
from .throttle import EmailKind, ThrottledEmail
from .users import DigestFrequency, Role, Unavailability, User, WantToRead

__all__ = [
    "Channel",
    "DigestFrequency",
    "EmailKind",
    "GroupSettings",
    "Invite",
    "Note",
    "Notification",
    "NotificationKind",
    "NotificationStatus",
    "OutboxMessage",
    "Role",
    "Series",
    "Session",
    "SessionStatus",
    "Slot",
    "ThrottledEmail",
    "Unavailability",
    "User",
    "WantToRead",
]
