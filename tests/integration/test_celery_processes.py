"""Celery's settings at start-up and the Procfile's beat, each in a fresh process."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from .harness import REPO_ROOT, wait_until, worker_env

PRINT_CONF = """
import json, django
django.setup()
from django.conf import settings
from readinggroup.celery import app
print(json.dumps({
    "broker_url": app.conf.broker_url,
    "transport_options": app.conf.broker_transport_options,
    "broker_dir_exists": settings.CELERY_BROKER_DIR.is_dir(),
    "beat_schedule_filename": app.conf.beat_schedule_filename,
    "time_limits": [app.conf.task_soft_time_limit, app.conf.task_time_limit],
    "republish_after": settings.READINGGROUP_VISIBILITY_TIMEOUT,
}))
"""


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def procfile_command(name: str) -> list[str]:
    for line in (REPO_ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return shlex.split(line.split(":", 1)[1])
    raise AssertionError(f"no {name} in Procfile")


def test_celery_settings_without_redis_url_use_embedded_broker_folder(tmp_path: Path, db):
    result = run_python(PRINT_CONF, worker_env(var_dir=tmp_path / "var"))

    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout)
    folder = str(tmp_path / "var" / "celery-broker")
    assert conf["broker_url"] == "filesystem://localhost/"
    assert conf["transport_options"] == {
        "data_folder_in": folder,
        "data_folder_out": folder,
        "control_folder": f"{folder}/control",
        "store_processed": False,
    }
    assert conf["broker_dir_exists"] is True
    assert conf["beat_schedule_filename"] == str(tmp_path / "var" / "celerybeat-schedule")


def test_celery_settings_with_redis_url_bound_publishing(tmp_path: Path, db):
    env = worker_env(var_dir=tmp_path / "var", redis_url="redis://127.0.0.1:6390/2")

    result = run_python(PRINT_CONF, env)

    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout)
    assert conf["broker_url"] == "redis://127.0.0.1:6390/2"
    assert conf["transport_options"]["max_retries"] == 1
    assert conf["transport_options"]["socket_connect_timeout"] == 1
    assert conf["broker_dir_exists"] is False


def test_celery_settings_visibility_timeout_follows_the_task_time_limit(tmp_path: Path, db):
    env = worker_env(
        var_dir=tmp_path / "var",
        redis_url="redis://127.0.0.1:6390/2",
        READINGGROUP_TASK_TIME_LIMIT="120",
    )

    result = run_python(PRINT_CONF, env)

    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout)
    assert conf["time_limits"] == [110, 120]
    assert conf["transport_options"]["visibility_timeout"] == 120
    assert conf["republish_after"] == 120


def test_celery_settings_refuse_a_task_time_limit_too_short(tmp_path: Path, db):
    env = worker_env(var_dir=tmp_path / "var", READINGGROUP_TASK_TIME_LIMIT="5")

    result = run_python(PRINT_CONF, env)

    assert result.returncode != 0
    assert "READINGGROUP_TASK_TIME_LIMIT=5 is too short: use 20 seconds or more." in result.stderr


def test_celery_settings_refuse_redis_url_that_is_not_a_url(tmp_path: Path, db):
    env = worker_env(var_dir=tmp_path / "var", redis_url="localhost:6379")

    result = run_python(PRINT_CONF, env)

    assert result.returncode != 0
    assert "REDIS_URL='localhost:6379' is not a Redis URL" in result.stderr


def test_procfile_beat_keeps_its_schedule_under_var_dir(tmp_path: Path, db):
    command = procfile_command("beat")
    assert command[:3] == ["celery", "-A", "readinggroup"]
    log_path = tmp_path / "beat.log"
    with log_path.open("wb") as log:
        beat = subprocess.Popen(
            [sys.executable, "-m", *command],
            cwd=REPO_ROOT,
            env=worker_env(var_dir=tmp_path / "var"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: list((tmp_path / "var").glob("celerybeat-schedule*")),
            timeout=20,
            what="beat to write its schedule file",
        )
        assert "beat: Starting..." in log_path.read_text()
    finally:
        beat.terminate()
        beat.wait(timeout=10)
