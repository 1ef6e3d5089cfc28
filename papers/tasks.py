"""Celery tasks of the catalogue app."""

from celery import shared_task

from . import duplicates


@shared_task(name="papers.search_duplicates")
def search_duplicates() -> int:
    """Search the papers a big import left pending for duplicates (beat also runs this
    every ten minutes, in case a message was lost with a worker)."""
    return duplicates.search_pending()
