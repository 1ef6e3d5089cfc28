"""Pages and actions for sessions and their presentation slots."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from papers.models import Paper
from readinggroup.models import Note, Session, Slot, User
from readinggroup.web import client_redirect_or_redirect, fragment_or_redirect

from . import access, scheduling, slides, suggestions
from .forms import AssignForm, ClaimForm, SeriesForm, SessionForm, SlidesForm

PICKER_SIZE = 100
SESSIONS_PER_PAGE = 20


def _slots_prefetch() -> Prefetch:
    return Prefetch(
        "slots",
        queryset=Slot.objects.select_related("presenter", "paper", "assigned_by").order_by(
            "position"
        ),
    )


SESSION_LIST = "readinggroup/schedule/session_list.html"
SESSION_DETAIL = "readinggroup/schedule/session_detail.html"
SESSION_LISTS = ("upcoming", "past")


@require_GET
@login_required
@vary_on_headers("HX-Request")  # one list's fragment for htmx, the whole page otherwise
def session_list(request: HttpRequest) -> HttpResponse:
    """Upcoming sessions soonest first and past ones latest first, a page of each
    (``?upcoming=2``, ``?past=3``): the same cost for 150 sessions as for 3,000."""
    # A list's pager targets that list: only it is loaded and sent back.
    shown = request.htmx.target.removesuffix("-sessions") if request.htmx.target else ""
    if shown in SESSION_LISTS:
        return render(request, f"{SESSION_LIST}#{shown}", _session_list_context(request, shown))
    context: dict = {}
    for name in SESSION_LISTS:
        context.update(_session_list_context(request, name))
    return render(request, SESSION_LIST, context)


def _session_list_context(request: HttpRequest, name: str) -> dict:
    """One list's page, and the other list's page number for its links to keep."""
    sessions = Session.objects.select_related("theme_topic").prefetch_related(_slots_prefetch())
    listed = sessions.upcoming() if name == "upcoming" else sessions.past()
    page = Paginator(listed, SESSIONS_PER_PAGE).get_page(request.GET.get(name))
    kept = {
        k: v for k, v in request.GET.items() if k in SESSION_LISTS and k != name and v.isdigit()
    }
    return {name: page, f"{name}_query": urlencode(kept)}


def _can_claim(session: Session) -> bool:
    return not session.is_past and not session.is_cancelled


def _slides_limit_mb() -> int:
    return settings.READINGGROUP_MAX_SLIDES_BYTES // (1024 * 1024)


def _members(request: HttpRequest) -> list[User]:
    """Whom an organizer can assign; members never see the list."""
    if not request.user.is_organizer:
        return []
    return list(User.objects.filter(is_active=True).order_by("username"))


def _detail_context(request: HttpRequest, session: Session) -> dict:
    slots = list(session.slots.select_related("presenter", "paper", "assigned_by"))
    can_claim = _can_claim(session)
    # The paper picker serves the claim form (open slots) and the assign form (organizers).
    needs_picker = can_claim and (request.user.is_organizer or any(s.is_open for s in slots))
    return {
        "session": session,
        "slots": slots,
        "can_claim": can_claim,
        "picker": list(Paper.objects.unscheduled()[:PICKER_SIZE]) if needs_picker else [],
        "slides_limit_mb": _slides_limit_mb(),
        "members": _members(request) if can_claim else [],
        "thread_notes": Note.objects.thread(request.user, session),
        "thread_target": session,
    }


def _slot_context(request: HttpRequest, slot_id: int) -> dict:
    """What the ``slot`` fragment shows, and nothing else (no notes, no other slots)."""
    slot = Slot.objects.select_related("session", "presenter", "paper", "assigned_by").get(
        pk=slot_id
    )
    can_claim = _can_claim(slot.session)
    # The paper picker serves the claim form (open slots) and the assign form (organizers).
    needs_picker = can_claim and (slot.is_open or request.user.is_organizer)
    return {
        "slot": slot,
        "can_claim": can_claim,
        "picker": list(Paper.objects.unscheduled()[:PICKER_SIZE]) if needs_picker else [],
        "slides_limit_mb": _slides_limit_mb(),
        "members": _members(request) if can_claim else [],
    }


@require_GET
@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.session_for_viewing(request, pk)
    return render(request, SESSION_DETAIL, _detail_context(request, session))


def _slot_response(
    request: HttpRequest, slot: Slot, error: str = "", notice: str = ""
) -> HttpResponse:
    """After a slot action: the slot's fresh state for htmx, else back to the session page."""

    def fragment() -> HttpResponse:
        context = _slot_context(request, slot.pk)
        context.update(slot_error=error, slot_notice=notice)
        return render(request, f"{SESSION_DETAIL}#slot", context)

    url = slot.session.get_absolute_url()
    return fragment_or_redirect(request, fragment, url, error=error, notice=notice)


def _safe_next(request: HttpRequest) -> str:
    """Where a plain form asked to come back to (the paper page), if it is ours."""
    url = request.POST.get("next", "")
    ok = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if ok else ""


@require_POST
@login_required
def slot_claim(request: HttpRequest, pk: int) -> HttpResponse:
    slot = access.slot_for_acting(request, pk)
    form = ClaimForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "Choose a paper to present."
    else:
        try:
            scheduling.claim_slot(slot=slot, user=request.user, paper=form.cleaned_data["paper"])
        except scheduling.SchedulingError as exc:
            error = str(exc)
    back = _safe_next(request)
    if error and back and not request.htmx:
        # Claimed from the paper page: stay there to pick another slot.
        messages.error(request, error)
        return redirect(back)
    if error:
        return _slot_response(request, slot, error=error)
    return _slot_response(request, slot, notice="The slot is yours.")


def _member_slot_action(
    request: HttpRequest, pk: int, action: Callable[..., None], notice: str
) -> HttpResponse:
    slot = access.slot_for_acting(request, pk)
    try:
        action(slot=slot, user=request.user)
    except scheduling.SchedulingError as exc:
        return _slot_response(request, slot, error=str(exc))
    return _slot_response(request, slot, notice=notice)


@require_POST
@login_required
def slot_release(request: HttpRequest, pk: int) -> HttpResponse:
    return _member_slot_action(request, pk, scheduling.release_slot, "Slot released.")


@require_POST
@login_required
def slot_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _member_slot_action(request, pk, scheduling.confirm_slot, "Confirmed. Thank you!")


@require_POST
@login_required
def slot_decline(request: HttpRequest, pk: int) -> HttpResponse:
    notice = "Declined; the slot is open again."
    return _member_slot_action(request, pk, scheduling.decline_slot, notice)


@require_POST
@login_required
def slot_assign(request: HttpRequest, pk: int) -> HttpResponse:
    slot = access.slot_for_managing(request, pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _slot_response(request, slot, error="Choose a member and a paper from the lists.")
    try:
        result = scheduling.assign_slot(
            slot=slot,
            by=request.user,
            presenter=form.cleaned_data["presenter"],
            paper=form.cleaned_data["paper"],
            locked=form.cleaned_data["locked"],
        )
    except scheduling.SchedulingError as exc:
        return _slot_response(request, slot, error=str(exc))
    notice = " ".join(["Slot updated.", *result.warnings])
    return _slot_response(request, slot, notice=notice)


# --- Slides ------------------------------------------------------------------------


@require_GET
@login_required
def slot_slides(request: HttpRequest, pk: int) -> FileResponse:
    """The uploaded PDF, to members only: media files are never served publicly."""
    slot = access.slot_for_acting(request, pk)
    if not slot.slides_file:
        raise Http404("This slot has no uploaded slides.")
    try:
        handle = slot.slides_file.open("rb")
    except FileNotFoundError:
        raise Http404("The slides file is missing.") from None
    response = FileResponse(
        handle, content_type="application/pdf", filename=slides.download_name(slot)
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Shown inline, so a crafted PDF must not run script with our origin's rights.
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, max-age=0"
    return response


@require_POST
@login_required
def slot_slides_set(request: HttpRequest, pk: int) -> HttpResponse:
    slot = access.slot_for_slides(request, pk)
    form = SlidesForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        return _slot_response(request, slot, error=" ".join(errors))
    try:
        slides.set_slides(
            slot=slot,
            user=request.user,
            url=form.cleaned_data["url"],
            upload=form.cleaned_data["file"] or None,
            remove_file=form.cleaned_data["remove_file"],
        )
    except slides.SlidesError as exc:
        return _slot_response(request, slot, error=str(exc))
    return _slot_response(request, slot, notice="Slides saved.")


@require_POST
@login_required
def slot_slides_remove(request: HttpRequest, pk: int) -> HttpResponse:
    slot = access.slot_for_slides(request, pk)
    try:
        slides.remove_slides(slot=slot, user=request.user)
    except slides.SlidesError as exc:
        return _slot_response(request, slot, error=str(exc))
    return _slot_response(request, slot, notice="Slides removed.")


# --- Suggested presenters (organizers) ----------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")  # a fragment for htmx, the whole page otherwise
def session_suggestions(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.session_for_managing(request, pk)
    found = suggestions.suggest_presenters(session)
    if request.htmx:
        context = {"session": session, "suggestions": found, "suggesting": True}
        return render(request, f"{SESSION_DETAIL}#suggestions", context)
    context = _detail_context(request, session)
    context.update(suggestions=found, suggesting=True)
    return render(request, SESSION_DETAIL, context)


# ASCII digits only ("²".isdigit() is true, int("²") fails) and few enough of them to
# fit a 64-bit key: anything else is forged and dropped, never a 500.
_PICK = re.compile(r"([0-9]{1,18}):([0-9]{1,18}):([0-9]{1,18})?")


def _picks(request: HttpRequest) -> list[tuple[int, int, int | None]]:
    """``pick`` fields are "slot:presenter:paper" (paper may be empty); bad ones are dropped."""
    picks = []
    for raw in request.POST.getlist("pick"):
        match = _PICK.fullmatch(raw)
        if match:
            slot, presenter, paper = match.groups()
            picks.append((int(slot), int(presenter), int(paper) if paper else None))
    return picks


@require_POST
@login_required
def suggestions_accept(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.session_for_managing(request, pk)
    picks = _picks(request)
    if not picks:
        messages.error(request, "Nothing to accept: ask for suggestions again.")
        return client_redirect_or_redirect(request, session.get_absolute_url())
    outcome = suggestions.accept_suggestions(session=session, by=request.user, picks=picks)
    for text in outcome.assigned:
        messages.success(request, text)
    for text in outcome.skipped:
        messages.error(request, text)
    return client_redirect_or_redirect(request, session.get_absolute_url())


@require_POST
@login_required
def scribe_volunteer(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.session_for_viewing(request, pk)
    try:
        scheduling.volunteer_scribe(session=session, user=request.user)
        messages.success(request, "You are this session's scribe.")
    except scheduling.SchedulingError as exc:
        messages.error(request, str(exc))
    return client_redirect_or_redirect(request, session.get_absolute_url())


@require_http_methods(["GET", "POST"])
@login_required
def session_create(request: HttpRequest) -> HttpResponse:
    access.require_organizer(request)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        session = scheduling.create_session(by=request.user, **data)
        messages.success(request, f"Session scheduled: {session}.")
        return client_redirect_or_redirect(request, session.get_absolute_url())
    return render(
        request, "readinggroup/schedule/session_form.html", {"form": form, "session": None}
    )


@require_http_methods(["GET", "POST"])
@login_required
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.session_for_managing(request, pk)
    form = SessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        slot_count = data.pop("slot_count")
        try:
            scheduling.update_session(session=session, slot_count=slot_count, **data)
        except scheduling.SchedulingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Session updated.")
            return client_redirect_or_redirect(request, session.get_absolute_url())
    return render(
        request, "readinggroup/schedule/session_form.html", {"form": form, "session": session}
    )


@require_POST
@login_required
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.session_for_managing(request, pk)
    scheduling.cancel_session(session=session)
    messages.success(request, f"Session cancelled: {session}. Its papers are free again.")
    return client_redirect_or_redirect(request, session.get_absolute_url())


@require_http_methods(["GET", "POST"])
@login_required
def series_create(request: HttpRequest) -> HttpResponse:
    access.require_organizer(request)
    form = SeriesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            series = scheduling.create_series(by=request.user, **form.cleaned_data)
        except scheduling.SchedulingError as exc:
            form.add_error(None, str(exc))
        else:
            count = series.sessions.count()
            messages.success(request, f"Scheduled {count} sessions of “{series}”.")
            return client_redirect_or_redirect(request, reverse("schedule:session_list"))
    return render(request, "readinggroup/schedule/series_form.html", {"form": form})
