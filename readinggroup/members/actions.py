"""What can be done to members, invites and unavailable dates. Views call these.

Role changes and removals lock every active organizer's row first, so two
organizers demoting or removing each other at the same moment cannot leave the
group without one. Invites are claimed with a conditional UPDATE: of two people
using one link at once, exactly one gets an account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone

from readinggroup.models import Invite, Role, Unavailability, User
from readinggroup.schedule.scheduling import free_slots_of

INVITE_DAYS = 7
INVITE_MAX_DAYS = 30


class MemberError(Exception):
    """An action on members that cannot happen; the message says why, for the user."""


class InviteUnusable(MemberError):
    """The invite link cannot be used (any more): unknown, used, revoked or expired."""

    def __init__(self, message: str, *, status: int = 410) -> None:
        super().__init__(message)
        self.status = status


# --- Roles and removal ---------------------------------------------------------------


def _lock_organizers(by: User) -> set[int]:
    """Lock the active organizers' rows (in pk order, so lockers never deadlock)."""
    organizers = set(
        User.objects.select_for_update()
        .organizers()
        .filter(is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if by.pk not in organizers:
        raise MemberError("You are no longer an organizer.")
    return organizers


def _refuse_last_organizer(member: User, by: User, organizers: set[int]) -> None:
    if organizers == {member.pk}:
        who = "You are" if member.pk == by.pk else f"{member} is"
        raise MemberError(f"{who} the last organizer: make someone else an organizer first.")


def set_role(*, member: User, role: str, by: User) -> None:
    """Make ``member`` an organizer or a member; the group always keeps one organizer."""
    if role not in Role.values:
        raise MemberError("Choose organizer or member.")
    with transaction.atomic():
        organizers = _lock_organizers(by)
        if role == Role.MEMBER and member.pk in organizers:
            if member.is_superuser:
                raise MemberError(
                    f"{member} is a superuser and stays an organizer; change that in the admin."
                )
            _refuse_last_organizer(member, by, organizers)
        if not User.objects.filter(pk=member.pk, is_active=True).update(role=role):
            raise MemberError(f"{member} has been removed from the group.")
    member.role = role


def remove_member(*, member: User, by: User, now: dt.datetime | None = None) -> int:
    """Deactivate ``member``; their history stays. Returns how many upcoming slots were freed.

    Their upcoming slots open again (with their papers free, their slides gone) and
    they stop being scribe of upcoming sessions, so nobody waits for a person who
    has left.
    """
    with transaction.atomic():
        organizers = _lock_organizers(by)
        if member.pk in organizers:
            _refuse_last_organizer(member, by, organizers)
        if not User.objects.filter(pk=member.pk, is_active=True).update(is_active=False):
            raise MemberError(f"{member} has already been removed.")
        freed = free_slots_of(member=member, now=now)
    member.is_active = False
    return freed


# --- Invites -------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(
    *, by: User, role: str = Role.MEMBER, email: str = "", days: int = INVITE_DAYS
) -> tuple[Invite, str]:
    """A new invite and its token. Only the token's hash is stored: show the token once."""
    if not 1 <= days <= INVITE_MAX_DAYS:
        raise MemberError(f"An invite is valid for 1 to {INVITE_MAX_DAYS} days.")
    token = secrets.token_urlsafe(32)
    invite = Invite.objects.create(
        token_hash=hash_token(token),
        email=email,
        role=role,
        created_by=by,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return invite, token


def revoke_invite(*, invite: Invite) -> None:
    revoked = Invite.objects.filter(
        pk=invite.pk, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not revoked:
        raise MemberError("This invite was already used or revoked.")


def _explain_unusable(invite: Invite | None) -> InviteUnusable:
    if invite is None:
        return InviteUnusable(
            "This invite link is not valid. Check that you copied all of it, "
            "or ask an organizer for a new one.",
            status=404,
        )
    if invite.used_at is not None:
        return InviteUnusable(
            "This invite has already been used. If it was you, log in; "
            "otherwise ask an organizer for a new one."
        )
    if invite.revoked_at is not None:
        return InviteUnusable("This invite was withdrawn. Ask an organizer for a new one.")
    when = dateformat.format(timezone.localtime(invite.expires_at), "j M Y, H:i")
    return InviteUnusable(f"This invite expired on {when}. Ask an organizer for a new one.")


def usable_invite(token: str) -> Invite:
    """The invite behind a link, or ``InviteUnusable`` saying why it cannot be used."""
    invite = Invite.objects.filter(token_hash=hash_token(token)).first()
    if invite is None or not invite.is_usable:
        raise _explain_unusable(invite)
    return invite


def join_with_invite(*, invite: Invite, user: User) -> User:
    """Save the new ``user`` (unsaved, password set) with the invite's role; use the invite.

    The invite is claimed by a conditional UPDATE in the same transaction as the
    account: either both happen or neither does.
    """
    try:
        with transaction.atomic():
            now = timezone.now()
            if not Invite.objects.filter(pk=invite.pk).usable().update(used_at=now):
                raise _explain_unusable(Invite.objects.filter(pk=invite.pk).first())
            user.role = invite.role
            user.save()
            Invite.objects.filter(pk=invite.pk).update(used_by=user)
    except IntegrityError:
        raise MemberError("That username was just taken; choose another.") from None
    return user


# --- Accounts created by an organizer ------------------------------------------------


def create_account(*, user: User) -> User:
    """Save a new account (unsaved ``user``) with no usable password: they choose one by email."""
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise MemberError("That username was just taken; choose another.") from None
    return user


# --- Unavailable dates ---------------------------------------------------------------


def add_unavailable_date(*, user: User, date: dt.date, note: str = "") -> Unavailability:
    if date < timezone.localdate():
        raise MemberError("That date has passed; choose today or a later date.")
    try:
        with transaction.atomic():
            return Unavailability.objects.create(user=user, date=date, note=note)
    except IntegrityError:
        day = dateformat.format(date, "l j F Y")
        raise MemberError(f"You already marked {day} as unavailable.") from None


def remove_unavailable_date(*, unavailability: Unavailability) -> None:
    unavailability.delete()
