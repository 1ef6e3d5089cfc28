"""factory_boy factories for every model, by part. Objects whose invariants a domain
function keeps (sessions and their slots, notes, invites, want-to-read marks) are made
through that function."""

from .members import InviteFactory, ThrottledEmailFactory
from .notes import NoteFactory
from .notifications import GroupSettingsFactory, NotificationFactory, OutboxMessageFactory
from .papers import (
    DuplicateCandidateFactory,
    ListingFactory,
    PaperAliasFactory,
    PaperFactory,
    PendingImportFactory,
    ReadingListFactory,
    TopicFactory,
)
from .schedule import SeriesFactory, SessionFactory, SlotFactory, present
from .users import OrganizerFactory, UnavailabilityFactory, UserFactory, WantToReadFactory

__all__ = [
    "DuplicateCandidateFactory",
    "GroupSettingsFactory",
    "InviteFactory",
    "ListingFactory",
    "NoteFactory",
    "NotificationFactory",
    "OrganizerFactory",
    "OutboxMessageFactory",
    "PaperAliasFactory",
    "PaperFactory",
    "PendingImportFactory",
    "ReadingListFactory",
    "SeriesFactory",
    "SessionFactory",
    "SlotFactory",
    "ThrottledEmailFactory",
    "TopicFactory",
    "UnavailabilityFactory",
    "UserFactory",
    "WantToReadFactory",
    "present",
]
