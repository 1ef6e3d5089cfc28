"""Middleware for what every response needs: a calm 503 while the database is down, and
no copy of a page in any cache but the browser's memory."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.views import defaults

logger = logging.getLogger(__name__)

# What django.db raises when the server does not answer or a connection has died
# (restarting, failing over, too many connections, SQLite's "database is locked").
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def database_unavailable() -> HttpResponse:
    """The 503 page. Rendered without the request, so that it needs no session or user
    (both live in the database)."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A view (or its template) that fails because the database is down gets the 503 page
    instead of a 500. Failures before the view (loading the session or the user in
    middleware) reach ``server_error`` below, which answers the same."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_DOWN):
            return None
        logger.warning("Database unavailable for %s: %s", request.path, exception, exc_info=True)
        return database_unavailable()


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the 503 page when the uncaught exception is the database being down."""
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return database_unavailable()
    return defaults.server_error(request)


class PrivateCacheMiddleware:
    """Every response that sets no caching of its own gets ``Cache-Control: private,
    no-store``: pages show members' names, duties and emails, and no shared cache or
    disk may keep them. Calendar feeds and slides set their own; static files are
    served by WhiteNoise before this runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
