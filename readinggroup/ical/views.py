"""The private calendar feed, the page to subscribe to it, and per-session .ics files."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    condition,
    require_GET,
    require_http_methods,
    require_safe,
)

from readinggroup.links import absolute
from readinggroup.schedule import access

from . import ics, tokens

CONTENT_TYPE = "text/calendar; charset=utf-8"
MAX_ALARM_MINUTES = 7 * 24 * 60
TEMPLATE = "readinggroup/ical/subscribe.html"


class AlarmForm(forms.Form):
    alarm = forms.IntegerField(required=False, min_value=0, max_value=MAX_ALARM_MINUTES)


class BadAlarm(ValueError):
    pass


def _alarm_minutes(request: HttpRequest) -> int | None:
    """``?alarm=30`` adds a reminder 30 minutes before each session."""
    raw = request.GET.get("alarm", "").strip()
    # IntegerField takes only ASCII digits ("²".isdigit() is true, int("²") fails) and
    # refuses absurd lengths before converting.
    form = AlarmForm({"alarm": raw})
    if len(raw) > 8 or not form.is_valid():
        raise BadAlarm(f"alarm must be a number of minutes from 0 to {MAX_ALARM_MINUTES}.")
    return form.cleaned_data["alarm"]


def _base_url() -> str:
    """The site's public address, never the request's Host header: event UIDs and links
    must not change with the name a calendar app used to reach us. Without the setting
    (which ``check --deploy`` demands) UIDs end in "@readinggroup" and events carry no
    link, rather than trusting the Host header."""
    return settings.READINGGROUP_SITE_URL


def _calendar_response(
    request: HttpRequest, calendar: Callable[[int | None], bytes], *, filename: str = ""
) -> HttpResponse:
    """``calendar(alarm_minutes)`` as an .ics response, or a 400 for a bad ``?alarm=``."""
    try:
        alarm = _alarm_minutes(request)
    except BadAlarm as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    response = HttpResponse(calendar(alarm), content_type=CONTENT_TYPE)
    # Private to one member and revocable: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _feed_etag(request: HttpRequest, token: str) -> str | None:
    """The feed's version for this ``?alarm=``: calendar apps poll with If-None-Match
    and get a 304, with no feed built, while nothing in it has changed."""
    tokens.user_for_token(token)  # an unknown or revoked link learns nothing
    try:
        alarm = _alarm_minutes(request)
    except BadAlarm:
        return None  # the view answers 400
    version = f"{alarm}:{ics.feed_version()}:{settings.READINGGROUP_SITE_URL}"
    return hashlib.blake2b(version.encode(), digest_size=16).hexdigest()


@require_safe  # some calendar apps check the feed with HEAD first
@login_not_required
@condition(etag_func=_feed_etag)
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """Calendar apps cannot log in: the secret token in the URL stands for the member."""
    tokens.user_for_token(token)

    def calendar(alarm: int | None) -> bytes:
        return ics.session_calendar(ics.feed_sessions(), alarm_minutes=alarm, base_url=_base_url())

    return _calendar_response(request, calendar)


@require_GET
@login_required
def session_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """One session as a file to open in a calendar app ("add to calendar")."""
    session = ics.load_for_calendar(access.session_for_viewing(request, pk))

    def calendar(alarm: int | None) -> bytes:
        return ics.session_calendar([session], alarm_minutes=alarm, base_url=_base_url())

    return _calendar_response(request, calendar, filename=f"session-{session.pk}.ics")


def feed_urls(token: str | None) -> dict[str, str]:
    """The feed's absolute URL, and its webcal:// form that opens a calendar app.

    Built from READINGGROUP_SITE_URL like the links in emails; without it the page
    explains why there is no link instead of showing one made from the Host header.
    """
    if not token:
        return {}
    try:
        url = absolute(reverse("ical:feed", args=[token]))
    except ImproperlyConfigured as exc:
        return {"config_error": str(exc)}
    return {"feed_url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]}


@require_http_methods(["GET", "POST"])
@login_required
def subscribe(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        if request.POST.get("action") == "revoke" and user.calendar_token:
            tokens.revoke_token(user=user)
            notice = "Your old calendar link no longer works. Give your calendar apps the new one."
        else:
            tokens.create_token(user=user)
            notice = "Your calendar link is ready."
        if not request.htmx:
            messages.success(request, notice)
            return redirect("ical:subscribe")
        context = {"notice": notice, **feed_urls(user.calendar_token)}
        return render(request, TEMPLATE + "#feed", context)
    context = {"recent_days": ics.RECENT_DAYS, **feed_urls(user.calendar_token)}
    return render(request, TEMPLATE, context)
