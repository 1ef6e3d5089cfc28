"""Pages of results that can be kept in the cache."""

from __future__ import annotations

from django.core.paginator import Page, Paginator


def page_key(raw: str | None) -> str:
    """``?page=`` as part of a cache key: short, so odd values cannot flood the cache."""
    return (raw or "")[:12]


def frozen(page: Page) -> Page:
    """``page`` with its rows loaded and its paginator reduced to the count.

    A Paginator holds the whole queryset, which pickling would load in full; this
    page holds only its rows, and answers ``count``, ``num_pages`` and the rest alike.
    """
    paginator = Paginator(range(page.paginator.count), page.paginator.per_page)
    return Page(list(page.object_list), page.number, paginator)
