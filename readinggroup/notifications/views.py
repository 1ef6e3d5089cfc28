"""Organizer pages (the log, settings, digest preview and "send now") and unsubscribing.

Organizer pages go through ``require_organizer``: members get 403, anonymous
visitors the login page. Unsubscribing needs no login: the signed link is the key.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from urllib.parse import urlencode

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from readinggroup import outbox
from readinggroup.models import GroupSettings, Notification, NotificationStatus, User
from readinggroup.web import (
    client_redirect_or_redirect,
    filters_in_use,
    render_results,
    require_organizer,
)

from . import delivery, digest, preferences, recovery, unsubscribe
from . import messages as content
from .forms import GroupSettingsForm, LogFilterForm

log = logging.getLogger(__name__)

PAGE_SIZE = 50
WEBHOOK_TEST_FAILED = (
    "The test message could not be delivered. Check the webhook URL in your chat "
    "app's settings; the server's log says more."
)
LOG = "readinggroup/notifications/log.html"
# "Send now" tokens: the time the preview page was shown, to the microsecond.
TOKEN_FORMAT = "%Y%m%dT%H%M%S%fZ"
TOKEN_RE = re.compile(r"^\d{8}T\d{12}Z$")


# --- The log -------------------------------------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")  # the results fragment for htmx, the whole page otherwise
def notification_log(request: HttpRequest) -> HttpResponse:
    require_organizer(request)
    form = LogFilterForm(request.GET)
    rows = Notification.objects.select_related("recipient", "session", "send_task").order_by(
        "-created_at", "-pk"
    )
    if form.is_valid():
        if kind := form.cleaned_data["kind"]:
            rows = rows.filter(kind=kind)
        if status := form.cleaned_data["status"]:
            rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _with_states(page.object_list, now=timezone.now())
    counts = dict(
        Notification.objects.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    context = {
        "form": form,
        "page": page,
        "counts": {status: counts.get(status, 0) for status in NotificationStatus.values},
        "query": urlencode(filters_in_use(request)),
    }
    if request.htmx:
        return render_results(request, f"{LOG}#results", context, page)
    return render(request, LOG, context)


def _with_states(rows, *, now: dt.datetime) -> list[Notification]:
    """The rows, each with ``state``: what it waits for (queued, sending, retrying…)."""
    rows = list(rows)
    for row in rows:
        row.state = recovery.describe(row, now=now)
    return rows


@require_POST
@login_required
def notification_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a failed notification again (after fixing the mail settings, say), or one
    that has waited too long now. htmx swaps the row; without JS, back to the log."""
    require_organizer(request)
    result = recovery.retry_now(notification_id=pk, now=timezone.now())
    row = Notification.objects.select_related("recipient", "session", "send_task").filter(pk=pk)
    if request.htmx and row:
        [row] = _with_states(row, now=timezone.now())
        context = {"n": row, "note": result.message, "query": urlencode(filters_in_use(request))}
        return render(request, f"{LOG}#row", context)
    (messages.success if result.done else messages.error)(request, result.message)
    return client_redirect_or_redirect(
        request, reverse("notifications:log") + "?" + urlencode(filters_in_use(request))
    )


# --- Settings ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def settings_edit(request: HttpRequest) -> HttpResponse:
    require_organizer(request)
    form = GroupSettingsForm(request.POST or None, instance=GroupSettings.load())
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Notification settings saved.")
        return client_redirect_or_redirect(request, reverse("notifications:settings"))
    return render(request, "readinggroup/notifications/settings.html", {"form": form})


@require_POST
@login_required
def webhook_test(request: HttpRequest) -> HttpResponse:
    """Post a test message to the saved webhook now, and say how it went."""
    require_organizer(request)
    url = GroupSettings.load().webhook_url
    if not url:
        messages.error(request, "Save a webhook URL first.")
    else:
        try:
            sender = content.chat_escape(request.user.name)
            delivery.post_webhook(url, f"Test message from readinggroup, sent by {sender}.")
        except delivery.DeliveryError as exc:
            # One message whatever went wrong: which error it was would tell what
            # answers at that address (a closed port, another protocol, a status).
            log.warning("Webhook test by user %s failed: %s", request.user.pk, exc)
            messages.error(request, WEBHOOK_TEST_FAILED)
        else:
            messages.success(request, "Test message sent: check the channel.")
    return client_redirect_or_redirect(request, reverse("notifications:settings"))


# --- The digest: preview and send now -------------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")  # the preview fragment for htmx, the whole page otherwise
def digest_preview(request: HttpRequest) -> HttpResponse:
    require_organizer(request)
    members = list(User.objects.filter(is_active=True).order_by("username"))
    wanted = request.GET.get("member", "")
    member = next((m for m in members if str(m.pk) == wanted), None) or request.user
    now = timezone.now()
    context = {
        "members": members,
        "member": member,
        "token": now.astimezone(dt.UTC).strftime(TOKEN_FORMAT),
        "recipients": digest.digest_recipients().count(),
    }
    try:
        context["rendered"] = content.render_digest(digest.build_digest(member=member, now=now))
    except ImproperlyConfigured as exc:
        context["config_error"] = str(exc)
    if request.htmx:
        return render(request, "readinggroup/notifications/digest_preview.html#preview", context)
    return render(request, "readinggroup/notifications/digest_preview.html", context)


# The email's HTML as its own document, framed by the preview page: emails need their
# inline styles (mail clients ignore style sheets), which the site's policy forbids on
# our pages. This document may be framed by our pages only, runs no script and loads
# nothing from elsewhere; the frame is sandboxed as well.
@require_GET
@login_required
@xframe_options_sameorigin
@csp(
    {
        "default-src": [NONE],
        "style-src": [UNSAFE_INLINE],
        "img-src": [SELF, "https:", "data:"],
        "frame-ancestors": [SELF],
        "base-uri": [NONE],
        "form-action": [NONE],
    }
)
def digest_email(request: HttpRequest) -> HttpResponse:
    require_organizer(request)
    wanted = request.GET.get("member", "")
    member = None
    if wanted.isdigit() and len(wanted) < 19:  # an id from the page's own link
        member = User.objects.filter(is_active=True, pk=int(wanted)).first()
    member = member or request.user
    try:
        rendered = content.render_digest(digest.build_digest(member=member, now=timezone.now()))
    except ImproperlyConfigured as exc:
        return HttpResponse(str(exc), content_type="text/plain; charset=utf-8", status=503)
    return HttpResponse(rendered.html)


@require_POST
@login_required
def digest_send(request: HttpRequest) -> HttpResponse:
    """Enqueue "send the digest now"; the page's token makes a double click send once."""
    require_organizer(request)
    token = request.POST.get("token", "")
    if not TOKEN_RE.match(token):
        messages.error(request, "Open the preview page again and press the button there.")
        return client_redirect_or_redirect(request, reverse("notifications:digest_preview"))
    outbox.enqueue("notifications.send_digest_now", token=token)
    messages.success(
        request,
        "The digest is on its way to every member who gets it; each appears here as it is sent.",
    )
    return client_redirect_or_redirect(request, reverse("notifications:log") + "?kind=digest")


# --- Unsubscribing -------------------------------------------------------------------


# No login: the link comes from an email. CSRF-exempt because mail apps POST to it
# for RFC 8058 one-click unsubscribe, with no cookie; the signed token is the proof,
# and all a POST can do is turn one of the token owner's emails off.
@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    found = unsubscribe.read_token(token)
    if found is None:
        return render(
            request, "readinggroup/notifications/unsubscribe.html", {"invalid": True}, status=404
        )
    user, preference = found
    if request.method == "POST":
        preferences.turn_off(user=user, preference=preference)
        return redirect("notifications:unsubscribe", token=token)
    context = {
        "user_name": user.name,
        "label": preferences.LABELS[preference],
        "is_on": preferences.is_on(user, preference),
    }
    return render(request, "readinggroup/notifications/unsubscribe.html", context)
