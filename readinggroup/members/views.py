"""The members page, member pages, organizer management, invites, joining and the profile.

htmx requests get the named partial they swap (a member's row, the invites card,
the unavailable-dates list); plain requests get a redirect and a message, so
everything works without JavaScript.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from readinggroup import outbox, throttle
from readinggroup.clients import client_address
from readinggroup.links import absolute, site_url
from readinggroup.models import EmailKind, Invite, Role, User
from readinggroup.web import (
    client_redirect_or_redirect,
    fragment_or_redirect,
    render_results,
    wants_fragment,
)

from . import access, actions, emails, history
from .forms import (
    AccountForm,
    InviteForm,
    JoinForm,
    MemberFilterForm,
    PasswordResetRequestForm,
    ProfileForm,
    RoleForm,
    UnavailableForm,
)

LIST = "readinggroup/members/member_list.html"
PER_PAGE = 50
PROFILE = "readinggroup/members/profile.html"
# A link shown once to the organizer who made it, kept in their session across one redirect.
SHOWN_ONCE = "members_link_shown_once"


def _pending_invites() -> list[Invite]:
    return list(Invite.objects.usable().select_related("created_by").order_by("expires_at"))


def _site_url_missing() -> str:
    """Why invite and set-password links cannot be made, or "" if they can.

    Links come from READINGGROUP_SITE_URL like every emailed link, never from the
    request's Host header (a visitor chooses it, and a poisoned link would carry
    the secret token to their host)."""
    try:
        site_url()
    except ImproperlyConfigured as exc:
        return f"Links cannot be made yet: {exc}"
    return ""


def _throttled(request: HttpRequest, address: str) -> str:
    """Why no invite or set-password email may go to ``address`` now, or "" if one may
    (and is then counted)."""
    try:
        throttle.allow_email(kind=EmailKind.INVITE, address=address, client=client_address(request))
    except throttle.Throttled as exc:
        return str(exc)
    return ""


def _remember_link(request: HttpRequest, shown_once: dict) -> None:
    """Keep a secret link for the next page only (it pops it): PRG without losing it."""
    request.session[SHOWN_ONCE] = shown_once


# --- The members page ----------------------------------------------------------------


def _member_table(query: str, page_number: str | None) -> dict:
    """One page of active members in fairness order, optionally filtered by name.

    The order and the counts are computed by the database (annotations, OFFSET/LIMIT);
    only the page's members get their duties loaded. Bars scale to the whole group."""
    now = timezone.now()
    active = User.objects.filter(is_active=True)
    ordered = active.named_like(query).with_presentation_stats(now).fairness_order()
    page = Paginator(ordered, PER_PAGE).get_page(page_number)
    return {
        "members": history.add_duties(list(page.object_list), now),
        "page": page,
        "max_count": history.most_presentations(active, now),
    }


def _list_context(request: HttpRequest) -> dict:
    filters = MemberFilterForm(request.GET)
    query = filters.query
    context = {
        **_member_table(query, request.GET.get("page")),
        "query": query,
        "problems": filters.problems,
        "page_query": urlencode({"q": query}) if query else "",
    }
    if request.user.is_organizer:
        context.update(
            invites=_pending_invites(),
            invite_form=InviteForm(),
            account_form=AccountForm(),
            shown_once=request.session.pop(SHOWN_ONCE, None),
        )
    return context


@require_GET
@login_required
@vary_on_headers("HX-Request")  # the table fragment for htmx, the whole page otherwise
def member_list(request: HttpRequest) -> HttpResponse:
    context = _list_context(request)
    if wants_fragment(request):
        # A page link or the filter: the table, and a clean URL ("?q=ann", not "?q=").
        return render_results(request, f"{LIST}#member_table", context, context["page"])
    return render(request, LIST, context)


@require_GET
@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = access.member_for_viewing(request, pk)
    return render(
        request,
        "readinggroup/members/member_detail.html",
        {"member": member, "history": history.member_history(member)},
    )


def _row_response(
    request: HttpRequest, member: User, *, error: str = "", notice: str = ""
) -> HttpResponse:
    """After a role change or removal: the member's fresh row, else back to the members page."""

    def row() -> HttpResponse:
        users = User.objects.filter(pk=member.pk)
        context = {
            "member": history.members_with_duties(users)[0],
            "max_count": history.most_presentations(User.objects.filter(is_active=True)),
            "row_error": error,
            "row_notice": notice,
        }
        return render(request, f"{LIST}#member_row", context)

    url = f"{reverse('members:member_list')}#member-{member.pk}"
    return fragment_or_redirect(request, row, url, error=error, notice=notice)


@require_POST
@login_required
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    member = access.member_for_managing(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _row_response(request, member, error="Choose organizer or member.")
    role = form.cleaned_data["role"]
    try:
        actions.set_role(member=member, role=role, by=request.user)
    except actions.MemberError as exc:
        return _row_response(request, member, error=str(exc))
    notice = (
        f"{member} is now an organizer." if role == Role.ORGANIZER else f"{member} is now a member."
    )
    return _row_response(request, member, notice=notice)


@require_POST
@login_required
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    member = access.member_for_managing(request, pk)
    try:
        freed = actions.remove_member(member=member, by=request.user)
    except actions.MemberError as exc:
        return _row_response(request, member, error=str(exc))
    notice = f"{member} was removed; their history stays."
    if freed:
        notice += f" Their {freed} upcoming slot{'s' if freed > 1 else ''} open again."
    return _row_response(request, member, notice=notice)


@require_POST
@login_required
def password_link_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Email a new set-password link to a member who has not chosen a password yet."""
    member = access.member_for_managing(request, pk)
    if member.has_usable_password():
        return _row_response(request, member, error=f"{member} has already chosen a password.")
    if not member.email:
        return _row_response(request, member, error=f"{member} has no email address.")
    if missing := _site_url_missing():
        return _row_response(request, member, error=missing)
    if refused := _throttled(request, member.email):
        return _row_response(request, member, error=refused)
    if emails.send_set_password(user=member, by=request.user):
        notice = f"We emailed {member.email} a new link to choose a password."
        return _row_response(request, member, notice=notice)
    messages.error(
        request,
        f"The email to {member.email} could not be sent. Send them the link below yourself: "
        "it is shown only once.",
    )
    _remember_link(
        request,
        {"link": emails.set_password_link(user=member), "what": "set-password"},
    )
    return client_redirect_or_redirect(request, reverse("members:member_list"))


# --- Adding members ------------------------------------------------------------------


def _invites_response(
    request: HttpRequest,
    *,
    form: InviteForm | None = None,
    shown_once: dict | None = None,
    error: str = "",
    notice: str = "",
) -> HttpResponse:
    context = {
        "invites": _pending_invites(),
        "invite_form": form or InviteForm(),
        "shown_once": shown_once,
        "invites_error": error,
        "invites_notice": notice,
    }
    return render(request, f"{LIST}#invites", context)


@require_POST
@login_required
def invite_create(request: HttpRequest) -> HttpResponse:
    access.require_organizer(request)
    form = InviteForm(request.POST)
    if form.is_valid() and (missing := _site_url_missing()):
        form.add_error(None, missing)  # checked first: no invite whose link cannot be shown
    email = form.cleaned_data.get("email") if form.is_valid() else ""
    if email and (refused := _throttled(request, email)):
        form.add_error("email", refused)
    if not form.is_valid():
        if request.htmx:
            return _invites_response(request, form=form)
        context = _list_context(request)
        context["invite_form"] = form
        return render(request, LIST, context)
    data = form.cleaned_data
    invite, token = actions.create_invite(
        by=request.user, role=data["role"], email=data["email"], days=data["days"]
    )
    link = absolute(reverse("members:join", args=[token]))
    notice, error = "Invite created. Copy the link now: it is shown only once.", ""
    if invite.email:
        if emails.send_invite(invite=invite, link=link, by=request.user):
            notice = f"Invite created and emailed to {invite.email}."
        else:
            notice = ""
            error = (
                f"The invite was created but the email to {invite.email} could not be sent. "
                "Copy the link below and send it yourself: it is shown only once."
            )
    shown_once = {"link": link, "what": "invite"}
    if request.htmx:
        return _invites_response(request, shown_once=shown_once, error=error, notice=notice)
    _remember_link(request, shown_once)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(f"{reverse('members:member_list')}#invites")


@require_POST
@login_required
def invite_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invite = access.invite_for_managing(request, pk)
    error, notice = "", "Invite revoked: its link no longer works."
    try:
        actions.revoke_invite(invite=invite)
    except actions.MemberError as exc:
        error, notice = str(exc), ""
    return fragment_or_redirect(
        request,
        lambda: _invites_response(request, error=error, notice=notice),
        f"{reverse('members:member_list')}#invites",
        error=error,
        notice=notice,
    )


@require_POST
@login_required
def account_create(request: HttpRequest) -> HttpResponse:
    access.require_organizer(request)
    form = AccountForm(request.POST)
    if form.is_valid() and (missing := _site_url_missing()):
        form.add_error(None, missing)  # checked first: no account without its link
    if form.is_valid() and (refused := _throttled(request, form.cleaned_data["email"])):
        form.add_error("email", refused)
    if form.is_valid():
        try:
            user = actions.create_account(user=form.save(commit=False))
        except actions.MemberError as exc:
            form.add_error("username", str(exc))
        else:
            if emails.send_set_password(user=user, by=request.user):
                messages.success(
                    request,
                    f"Account created for {user}. We emailed {user.email} a link "
                    "to choose their password.",
                )
            else:
                messages.error(
                    request,
                    f"Account created for {user}, but the email to {user.email} could not be "
                    "sent. Send them the link below yourself: it is shown only once.",
                )
                link = emails.set_password_link(user=user)
                _remember_link(request, {"link": link, "what": "set-password"})
            return client_redirect_or_redirect(
                request, f"{reverse('members:member_list')}#member-{user.pk}"
            )
    if request.htmx:
        return render(request, f"{LIST}#new_account", {"account_form": form})
    context = _list_context(request)
    context["account_form"] = form
    return render(request, LIST, context)


# --- Joining through an invite -------------------------------------------------------


def _unusable(request: HttpRequest, exc: actions.InviteUnusable) -> HttpResponse:
    return render(
        request, "readinggroup/members/join_invalid.html", {"reason": str(exc)}, status=exc.status
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_not_required
def join(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invite = actions.usable_invite(token)
    except actions.InviteUnusable as exc:
        return _unusable(request, exc)
    form = JoinForm(request.POST or None, initial={"email": invite.email})
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.join_with_invite(invite=invite, user=form.save(commit=False))
        except actions.InviteUnusable as exc:
            return _unusable(request, exc)
        except actions.MemberError as exc:
            form.add_error("username", str(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to the reading group, {user}!")
            return redirect("/")
    return render(request, "readinggroup/members/join.html", {"form": form, "invite": invite})


# --- Forgotten passwords -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_not_required
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a password-reset link (replaces Django's PasswordResetView).

    The request only counts the email against the throttles and queues it
    (members.send_password_reset): whether an account uses the address is found out
    by the worker, so the page answers alike, in the same time, either way."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            with transaction.atomic():
                throttle.allow_email(
                    kind=EmailKind.PASSWORD_RESET, address=email, client=client_address(request)
                )
                outbox.enqueue("members.send_password_reset", email=email)
        except throttle.Throttled as exc:
            form.add_error("email", str(exc))
        else:
            return redirect("password_reset_done")
    return render(request, "registration/password_reset_form.html", {"form": form})


# --- Profile -------------------------------------------------------------------------


def _unavailable_dates(user: User) -> list:
    return list(user.unavailable_dates.filter(date__gte=timezone.localdate()).order_by("date"))


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return client_redirect_or_redirect(request, reverse("members:profile"))
    context = {
        "form": form,
        "dates": _unavailable_dates(user),
        "date_form": UnavailableForm(),
        "history": history.member_history(user),
    }
    return render(request, PROFILE, context)


def _dates_response(
    request: HttpRequest,
    *,
    form: UnavailableForm | None = None,
    error: str = "",
    notice: str = "",
) -> HttpResponse:
    def dates() -> HttpResponse:
        context = {
            "dates": _unavailable_dates(request.user),
            "date_form": form or UnavailableForm(),
            "dates_error": error,
            "dates_notice": notice,
        }
        return render(request, f"{PROFILE}#unavailable", context)

    url = f"{reverse('members:profile')}#unavailable"
    return fragment_or_redirect(request, dates, url, error=error, notice=notice)


@require_POST
@login_required
def unavailable_add(request: HttpRequest) -> HttpResponse:
    form = UnavailableForm(request.POST)
    if not form.is_valid():
        note_errors = form.errors.get("note")
        error = note_errors[0] if note_errors and "date" not in form.errors else ""
        return _dates_response(request, form=form, error=error or "Choose a valid date.")
    date = form.cleaned_data["date"]
    try:
        actions.add_unavailable_date(user=request.user, date=date, note=form.cleaned_data["note"])
    except actions.MemberError as exc:
        return _dates_response(request, form=form, error=str(exc))
    return _dates_response(request, notice=f"Marked {date:%a %d %b %Y} as unavailable.")


@require_POST
@login_required
def unavailable_delete(request: HttpRequest, pk: int) -> HttpResponse:
    unavailability = access.unavailability_for_owner(request, pk)
    actions.remove_unavailable_date(unavailability=unavailability)
    date = unavailability.date
    return _dates_response(request, notice=f"You are available again on {date:%a %d %b %Y}.")
