"""The task a benchmark's Celery worker runs (loaded with ``celery worker --include``).

It builds the weekly digest inside the worker process and writes what it measured,
the process's peak memory (VmHWM) included, to a JSON file the benchmark waits for.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from celery import shared_task
from django.utils import timezone

from .measure import time_digest
from .servers import proc_status_kb


@shared_task(name="benchmark.build_weekly_digests")
def build_weekly_digests(*, out: str) -> None:
    try:
        result = time_digest(timezone.now())
    except Exception as exc:  # the benchmark waits for this file: say what went wrong
        result = {"missing": f"the task failed: {type(exc).__name__}: {exc}"[:500]}
    result["pid"] = os.getpid()
    result["vmhwm_kb"] = proc_status_kb(os.getpid(), "VmHWM")
    result["vmrss_kb"] = proc_status_kb(os.getpid(), "VmRSS")
    Path(out).write_text(json.dumps(result))
