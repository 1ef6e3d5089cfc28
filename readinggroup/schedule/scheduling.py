"""Scheduling: sessions, series, and who presents what.

Every change to a slot is a conditional UPDATE (or a locked read) whose row
count says whether it happened, so two people clicking at the same moment get
one winner and one clear message, never a 500 or a silent overwrite. The
database's constraints back the rules up (see ``Slot.Meta``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from papers.models import Paper, Topic
from readinggroup.models import Series, Session, SessionStatus, Slot, Unavailability, User
from readinggroup.models.sessions import NO_SLIDES


class SchedulingError(Exception):
    """A scheduling action that cannot happen; the message says why, for the user."""


def touch_sessions(*session_ids: int) -> None:
    """Every change to who presents, scribes or what slides: the session's calendar
    event changes too, so bump ``updated_at`` (its SEQUENCE) in the same transaction."""
    Session.objects.filter(pk__in=session_ids).touch()


def delete_file_after_commit(name: str) -> None:
    """Delete a stored slides file once the change forgetting it has committed."""
    if name:
        storage = Slot._meta.get_field("slides_file").storage
        transaction.on_commit(lambda: storage.delete(name))


def _already_presents(slot: Slot, presenter: User) -> bool:
    """Why an update failed: is ``presenter`` in another slot of this session already?"""
    return (
        Slot.objects.filter(session_id=slot.session_id, presenter=presenter)
        .exclude(pk=slot.pk)
        .exists()
    )


def archive_past_slots(now: dt.datetime | None = None) -> int:
    """Free the papers of sessions that have started, so they can be scheduled again."""
    now = now or timezone.now()
    return Slot.objects.filter(upcoming=True, session__starts_at__lte=now).update(upcoming=False)


def create_session(
    *,
    by: User,
    starts_at: dt.datetime,
    slot_count: int,
    title: str = "",
    place: str = "",
    video_url: str = "",
    duration_minutes: int = 60,
    theme_topic: Topic | None = None,
    series: Series | None = None,
) -> Session:
    with transaction.atomic():
        session = Session.objects.create(
            title=title,
            starts_at=starts_at,
            slot_count=slot_count,
            place=place,
            video_url=video_url,
            duration_minutes=duration_minutes,
            theme_topic=theme_topic,
            series=series,
            created_by=by,
        )
        Slot.objects.bulk_create(
            Slot(session=session, position=i, upcoming=starts_at > timezone.now())
            for i in range(1, slot_count + 1)
        )
    return session


def series_dates(
    *, first: dt.date, last: dt.date, skip: set[dt.date] | None = None
) -> list[dt.date]:
    """Every week from ``first`` (its weekday) to ``last`` inclusive, less the skipped dates."""
    if last < first:
        raise SchedulingError("The series ends before it starts.")
    skip = skip or set()
    dates, day = [], first
    while day <= last:
        if day not in skip:
            dates.append(day)
        day += dt.timedelta(days=7)
    if len(dates) > 60:
        raise SchedulingError("A series can have at most 60 sessions; split it in two.")
    return dates


def create_series(
    *,
    by: User,
    title: str,
    first: dt.date,
    last: dt.date,
    time: dt.time,
    slot_count: int,
    skip: set[dt.date] | None = None,
    place: str = "",
    video_url: str = "",
    duration_minutes: int = 60,
    theme_topic: Topic | None = None,
) -> Series:
    """One session a week, at the same local time (DST-proof: each date is localised)."""
    dates = series_dates(first=first, last=last, skip=skip)
    tz = timezone.get_current_timezone()
    with transaction.atomic():
        series = Series.objects.create(title=title, created_by=by)
        for day in dates:
            create_session(
                by=by,
                starts_at=dt.datetime.combine(day, time, tzinfo=tz),
                slot_count=slot_count,
                title=title,
                place=place,
                video_url=video_url,
                duration_minutes=duration_minutes,
                theme_topic=theme_topic,
                series=series,
            )
    return series


def update_session(*, session: Session, slot_count: int, **fields: object) -> Session:
    """Edit or reschedule one session; its slots follow the new count and date."""
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session.pk)
        for name, value in fields.items():
            setattr(session, name, value)
        current = session.slots.count()
        if slot_count < current:
            removable = session.slots.filter(position__gt=slot_count)
            if removable.exclude(presenter=None).exists() or removable.exclude(paper=None).exists():
                raise SchedulingError(
                    "Those slots have presenters; release or reassign them before removing slots."
                )
            removable.delete()
        elif slot_count > current:
            Slot.objects.bulk_create(
                Slot(session=session, position=i) for i in range(current + 1, slot_count + 1)
            )
        session.slot_count = slot_count
        session.save()
        upcoming = session.status == SessionStatus.SCHEDULED and session.starts_at > timezone.now()
        try:
            with transaction.atomic():
                session.slots.update(upcoming=upcoming)
        except IntegrityError:
            raise SchedulingError(
                "A paper of this session is already scheduled in another upcoming session."
            ) from None
    return session


def cancel_session(*, session: Session) -> None:
    """Cancel; presenters and papers stay on record but the papers become free again."""
    with transaction.atomic():
        # update() skips auto_now: set updated_at so calendars see a new SEQUENCE.
        Session.objects.filter(pk=session.pk).update(
            status=SessionStatus.CANCELLED, updated_at=timezone.now()
        )
        Slot.objects.filter(session=session).update(upcoming=False)


def _check_open_for_claims(session: Session) -> None:
    if session.status == SessionStatus.CANCELLED:
        raise SchedulingError("This session is cancelled.")
    if session.starts_at <= timezone.now():
        raise SchedulingError("This session has already taken place.")


def unavailable_on(user: User, session: Session) -> bool:
    day = timezone.localtime(session.starts_at).date()
    return Unavailability.objects.filter(user=user, date=day).exists()


def _why_not_claimed(slot_id: int) -> str:
    slot = Slot.objects.select_related("presenter").filter(pk=slot_id).first()
    if slot is None:
        return "This slot no longer exists."
    if slot.presenter_id:
        return f"Too late: {slot.presenter} has just taken this slot."
    if slot.locked:
        return "This slot is locked by the organizers."
    return "This slot can no longer be claimed."


def claim_slot(*, slot: Slot, user: User, paper: Paper) -> None:
    """A member takes an open slot to present ``paper``. Exactly one of two racers wins."""
    session = slot.session
    _check_open_for_claims(session)
    if unavailable_on(user, session):
        raise SchedulingError(
            "You marked that day as unavailable; remove it from your profile to claim."
        )
    archive_past_slots()
    now = timezone.now()
    try:
        with transaction.atomic():
            claimed = Slot.objects.filter(
                pk=slot.pk, presenter__isnull=True, locked=False, upcoming=True
            ).update(
                presenter=user,
                paper=paper,
                assigned_by=user,
                assigned_at=now,
                confirmed_at=now,
            )
            if claimed == 1:
                touch_sessions(slot.session_id)
    except IntegrityError:
        if _already_presents(slot, user):
            raise SchedulingError("You already present in this session.") from None
        raise SchedulingError(f"“{paper}” is already scheduled in an upcoming session.") from None
    if claimed != 1:
        raise SchedulingError(_why_not_claimed(slot.pk))


def _locked_slides_file(slot: Slot) -> str:
    """The slot's stored file, read under the row lock: an upload cannot slip in between
    this read and the update that forgets the file (it would be orphaned on disk)."""
    files = (
        Slot.objects.select_for_update().filter(pk=slot.pk).values_list("slides_file", flat=True)
    )
    return files.first() or ""


def release_slot(*, slot: Slot, user: User) -> None:
    """The presenter gives their slot back (organizers may release anyone's)."""
    _check_open_for_claims(slot.session)
    with transaction.atomic():
        slides_file = _locked_slides_file(slot)
        released = (
            Slot.objects.filter(pk=slot.pk, locked=False)
            .filter(**({} if user.is_organizer else {"presenter": user}))
            .exclude(presenter=None)
            .update(
                presenter=None,
                paper=None,
                assigned_by=None,
                assigned_at=None,
                confirmed_at=None,
                **NO_SLIDES,
            )
        )
        if released == 1:
            delete_file_after_commit(slides_file)
            touch_sessions(slot.session_id)
    if released != 1:
        raise SchedulingError("This slot is not yours to release (or it is locked).")


@dataclass
class AssignResult:
    warnings: list[str]


def assign_slot(
    *,
    slot: Slot,
    by: User,
    presenter: User | None,
    paper: Paper | None,
    locked: bool | None = None,
    expect_open: bool = False,
) -> AssignResult:
    """An organizer puts anyone (or no one) in any slot, and may lock it.

    With ``expect_open`` (accepting a suggestion made a moment ago) a slot that
    someone took or locked meanwhile is left alone and the error says so.
    """
    _check_open_for_claims(slot.session)
    archive_past_slots()
    warnings = []
    if presenter is not None and unavailable_on(presenter, slot.session):
        warnings.append(f"{presenter} marked that day as unavailable.")
    try:
        with transaction.atomic():
            current = Slot.objects.select_for_update().get(pk=slot.pk)
            if expect_open and current.presenter_id is not None:
                raise SchedulingError(
                    f"{current.presenter} took slot {current.position} meanwhile."
                )
            if expect_open and current.locked:
                raise SchedulingError(f"Slot {current.position} was locked meanwhile.")
            changed = (current.presenter_id, current.paper_id) != (
                presenter.pk if presenter else None,
                paper.pk if paper else None,
            )
            if current.presenter_id != (presenter.pk if presenter else None):
                delete_file_after_commit(current.slides_file.name or "")
                current.slides_url, current.slides_file = "", ""
            current.presenter = presenter
            current.paper = paper
            if changed:
                now = timezone.now()
                current.assigned_by = by if presenter else None
                current.assigned_at = now if presenter else None
                # Someone else's assignment waits for the presenter to confirm it.
                current.confirmed_at = now if presenter == by else None
            if locked is not None:
                current.locked = locked
            current.save()
            touch_sessions(current.session_id)
    except IntegrityError:
        if presenter is not None and _already_presents(slot, presenter):
            raise SchedulingError(f"{presenter} already presents in this session.") from None
        raise SchedulingError(f"“{paper}” is already scheduled in an upcoming session.") from None
    return AssignResult(warnings)


def confirm_slot(*, slot: Slot, user: User) -> None:
    with transaction.atomic():
        confirmed = Slot.objects.filter(pk=slot.pk, presenter=user, confirmed_at=None).update(
            confirmed_at=timezone.now()
        )
        if confirmed == 1:
            touch_sessions(slot.session_id)
    if confirmed != 1:
        raise SchedulingError("There is no assignment of yours waiting for confirmation here.")


def decline_slot(*, slot: Slot, user: User) -> None:
    """The presenter declines an assignment; the slot opens again."""
    with transaction.atomic():
        slides_file = _locked_slides_file(slot)
        declined = Slot.objects.filter(pk=slot.pk, presenter=user, confirmed_at=None).update(
            presenter=None,
            paper=None,
            assigned_by=None,
            assigned_at=None,
            locked=False,
            **NO_SLIDES,
        )
        if declined == 1:
            delete_file_after_commit(slides_file)
            touch_sessions(slot.session_id)
    if declined != 1:
        raise SchedulingError("There is no assignment of yours waiting for an answer here.")


def volunteer_scribe(*, session: Session, user: User) -> None:
    _check_open_for_claims(session)
    with transaction.atomic():
        taken = Session.objects.filter(pk=session.pk, scribe=None).update(scribe=user)
        if taken == 1:
            touch_sessions(session.pk)
    if taken != 1:
        raise SchedulingError("Someone has already volunteered as scribe.")


def free_slots_of(*, member: User, now: dt.datetime | None = None) -> int:
    """A member leaves the group: their slots and scribe roles ahead open again.

    Their papers become free and their slides go (the files once committed). Past
    presentations stay as history. Returns how many slots were freed. Call it
    inside the transaction that removes the member.
    """
    slots = Slot.objects.ahead(now).filter(presenter=member)
    # Lock the slots (not their sessions) while reading the files they will forget.
    locked = list(slots.select_for_update(of=("self",)).values_list("slides_file", "session_id"))
    files, sessions = zip(*locked, strict=True) if locked else ((), ())
    touched = set(sessions)
    freed = slots.update(
        presenter=None,
        paper=None,
        assigned_by=None,
        assigned_at=None,
        confirmed_at=None,
        **NO_SLIDES,
    )
    scribing = Session.objects.ahead(now).filter(scribe=member)
    touched |= set(scribing.values_list("pk", flat=True))
    scribing.update(scribe=None)
    touch_sessions(*touched)
    for name in files:
        delete_file_after_commit(name)
    return freed


def forget_presenter(*, user: User) -> None:
    """Before an account is deleted: leave every slot as ``free_slots_of`` does.

    The database then nulls ``presenter`` (SET_NULL); past slots keep their paper.
    Deleting rather than removing a member loses who presented: the admin only.
    """
    free_slots_of(member=user)
    slots = Slot.objects.filter(presenter=user)
    locked = list(slots.select_for_update().values_list("slides_file", "session_id"))
    files, sessions = zip(*locked, strict=True) if locked else ((), ())
    touch_sessions(*sessions)
    slots.update(assigned_by=None, assigned_at=None, confirmed_at=None, **NO_SLIDES)
    for name in files:
        delete_file_after_commit(name)
