from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .panels import dashboard


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: the next session, my duties, open slots, wanted papers, notes, stats."""
    context = {"time_zone": settings.TIME_ZONE, **dashboard(request.user)}
    return render(request, "readinggroup/dashboard/dashboard.html", context)
