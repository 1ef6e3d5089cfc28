"""Helpers shared by pages whose filtered results htmx swaps in place."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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
    response["HX-Push-Url"] = request.path + (f"?{urlencode(filters)}" if filters else "")
    return response
