from .notes import Note
from .sessions import Series, Session, SessionStatus, Slot
from .users import Role, Unavailability, User, WantToRead

__all__ = [
    "Note",
    "Role",
    "Series",
    "Session",
    "SessionStatus",
    "Slot",
    "Unavailability",
    "User",
    "WantToRead",
]
