"""Login lockouts (django-axes): the page a locked-out person sees, and the organizers'
page where they see and lift lockouts.

axes counts failed logins per username and client address (AXES_LOCKOUT_PARAMETERS) in
AccessAttempt rows; a pair with AXES_FAILURE_LIMIT failures within the cool-off is locked
out until the cool-off has passed since its last recorded failure. Tries while locked out
are not recorded (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False), so that time
does not move and the page can say when it comes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from axes.helpers import get_client_ip_address, get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max, Min, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from readinggroup.models import User

from . import access

LOCKED_OUT_TEMPLATE = "registration/locked_out.html"


def _cool_off() -> dt.timedelta:
    return get_cool_off() or dt.timedelta(0)


def locked_until(*, username: str | None, ip_address: str | None) -> dt.datetime | None:
    """When the lockout of this pair ends (None if there is no record of it)."""
    last = AccessAttempt.objects.filter(username=username, ip_address=ip_address).aggregate(
        last=Max("attempt_time")
    )["last"]
    return last + _cool_off() if last else None


# AccessAttempt.username's column; no account has a longer name (User allows 150).
USERNAME_COLUMN = 255


def attempted_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username tried, as axes records it.

    Django's login form does not limit the username's length, so a 10,000-character
    one reaches axes, and PostgreSQL refuses it in the 255-character column (a 500):
    it is cut to the column. NULs never get this far (the form refuses them)."""
    field = settings.AXES_USERNAME_FORM_FIELD
    value = credentials.get(field) if credentials else request.POST.get(field)
    return None if value is None else str(value)[:USERNAME_COLUMN]


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the page for a login refused because of a lockout."""
    username = get_client_username(request, credentials)
    until = locked_until(username=username, ip_address=get_client_ip_address(request))
    context = {
        "username": username or "",
        "until": until or timezone.now() + _cool_off(),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "time_zone": settings.TIME_ZONE,
    }
    return render(request, LOCKED_OUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE)


@dataclass(frozen=True)
class FailedLogins:
    """Recent failed logins of one username from one client address."""

    pk: int  # one of its AccessAttempt rows: what the lift button names
    username: str
    ip_address: str | None
    failures: int
    last: dt.datetime
    until: dt.datetime
    member: User | None

    @property
    def locked(self) -> bool:
        return self.failures >= settings.AXES_FAILURE_LIMIT


def recent_failed_logins(*, now: dt.datetime) -> list[FailedLogins]:
    """Pairs with failures within the cool-off, most recent first, locked or not."""
    cool_off = _cool_off()
    rows = list(
        AccessAttempt.objects.filter(attempt_time__gte=now - cool_off)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"), pk=Min("pk"))
        .order_by("-last", "pk")
    )
    names = {row["username"] for row in rows if row["username"]}
    members = {m.username: m for m in User.objects.filter(username__in=names)}
    return [
        FailedLogins(
            pk=row["pk"],
            username=row["username"] or "",
            ip_address=row["ip_address"],
            failures=row["failures"],
            last=row["last"],
            until=row["last"] + cool_off,
            member=members.get(row["username"]),
        )
        for row in rows
    ]


def lift_lockout(*, attempt: AccessAttempt) -> int:
    """Forget every failure of ``attempt``'s username from its address; how many rows went."""
    deleted, _ = AccessAttempt.objects.filter(
        username=attempt.username, ip_address=attempt.ip_address
    ).delete()
    return deleted


@require_GET
@login_required
def lockout_list(request: HttpRequest) -> HttpResponse:
    access.require_organizer(request)
    context = {
        "pairs": recent_failed_logins(now=timezone.now()),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cool_off_minutes": int(_cool_off().total_seconds() // 60),
    }
    return render(request, "readinggroup/members/lockouts.html", context)


@require_POST
@login_required
def lockout_lift(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_organizer(request)
    attempt = get_object_or_404(AccessAttempt, pk=pk)
    lift_lockout(attempt=attempt)
    who = attempt.username or "(no username)"
    messages.success(
        request, f"{who} can log in again from {attempt.ip_address or 'an unknown address'}."
    )
    return redirect(reverse("members:lockout_list"))
