from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from . import outbox
from .celery import app

logger = logging.getLogger(__name__)

# How long /healthz?deep=1 waits for the broker before saying it is down.
BROKER_TIMEOUT_SECONDS = 2


@require_GET
@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: "ok" without touching the database.

    ``?deep=1`` asks the database and the Celery broker too, and answers 503 with
    which of them did not answer."""
    if request.GET.get("deep") != "1":
        return HttpResponse("ok", content_type="text/plain")
    checks = {"database": _database_answers(), "broker": _broker_answers()}
    status = 200 if all(checks.values()) else 503
    answers = {name: "ok" if up else "down" for name, up in checks.items()}
    return JsonResponse(answers, status=status)


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("Health check: the database does not answer: %s", exc)
        return False
    return True


def _broker_answers() -> bool:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except outbox.PUBLISH_ERRORS as exc:
        logger.warning("Health check: the broker does not answer: %s", exc)
        return False
    return True
