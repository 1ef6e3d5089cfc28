"""What every part's views share: role checks, and the answers htmx and plain forms get.

Every action answers an htmx request with the fragment it changed (which shows its own
error or notice) and a plain request with a message and a redirect, so everything
works without JavaScript. Pages whose filtered results htmx swaps push a clean URL.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect, push_url

# --- Roles ---------------------------------------------------------------------------


def require_organizer(request: HttpRequest) -> None:
    """Organizers only: anyone else gets a 403 (anonymous visitors never get this far,
    the login middleware sends them to the login page first)."""
    if not request.user.is_authenticated or not request.user.is_organizer:
        raise PermissionDenied("Only organizers can do this.")


# --- After an action ----------------------------------------------------------------


def client_redirect_or_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """Go to ``url``: htmx would follow a plain redirect into its swap target, so it is
    told to navigate instead."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def fragment_or_redirect(
    request: HttpRequest,
    fragment: Callable[[], HttpResponse],
    url: str,
    *,
    error: str = "",
    notice: str = "",
) -> HttpResponse:
    """For htmx, ``fragment()``: the part of the page the action changed, which shows the
    error or notice itself. Otherwise the error or notice as a message, and ``url``."""
    if request.htmx:
        return fragment()
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect(url)


# --- Results that htmx swaps --------------------------------------------------------


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request for a page's results alone. A boosted link and a history restore
    (htmx reloading a page it has no snapshot of) need the whole page."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def filters_in_use(request: HttpRequest) -> dict[str, str]:
    """The non-empty GET filters, without the page: "?venue=OSDI", not "?q=&topic=…"."""
    return {k: v for k, v in request.GET.items() if v and k != "page"}


def render_results(
    request: HttpRequest, template: str, context: dict, page: Page | None = None
) -> HttpResponse:
    """Render the results partial and push a clean, shareable URL for it: the filters
    in use and the page actually shown (``page=`` as typed may be out of range)."""
    number = page.number if page is not None else None
    return push_results_url(request, render(request, template, context), number)


def push_results_url(
    request: HttpRequest, response: HttpResponse, number: int | None
) -> HttpResponse:
    """Have htmx show the clean URL of the results in ``response``, page ``number``."""
    filters: dict[str, object] = filters_in_use(request)
    if number is not None and number > 1:
        filters["page"] = number
    return push_url(response, request.path + (f"?{urlencode(filters)}" if filters else ""))
