"""Real outside processes for the Celery tests: redis-server, Celery workers, and a way
to point this process's Celery app at another broker. Nothing here is a fake."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import kombu.pools
from django.db import connection

from readinggroup.celery import app

REPO_ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")
# What a subprocess needs from this environment; every setting is given explicitly.
_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


# --- Redis -----------------------------------------------------------------------


class RedisServer:
    """A throwaway redis-server on a loopback port, no persistence."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.pidfile = folder / f"redis-{self.port}.pid"

    def start(self) -> None:
        assert REDIS_SERVER, "redis-server is not installed (apt-get install redis-server)"
        self.folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                REDIS_SERVER,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "yes",
                "--dir", str(self.folder),
                "--pidfile", str(self.pidfile),
                "--logfile", str(self.folder / f"redis-{self.port}.log"),
            ],
            check=True,
            timeout=10,
        )  # fmt: skip
        wait_until(lambda: redis_ping(self.url), timeout=10, what=f"Redis on {self.port}")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop the server (``signal.SIGKILL``: as a crash would). Without persistence,
        a server started again on the same port has no data."""
        if not self.pidfile.exists():
            return
        pid = int(self.pidfile.read_text().strip())
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        wait_until(lambda: not _alive(pid), timeout=10, what="redis-server to stop")
        self.pidfile.unlink(missing_ok=True)


def redis_ping(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.exceptions.ConnectionError:
        return False


def redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# --- This process's Celery app ------------------------------------------------------


def filesystem_broker_options(folder: Path) -> dict[str, Any]:
    """Transport options of the embedded broker in ``folder`` (as settings builds them)."""
    return {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


@contextmanager
def use_broker(url: str, transport_options: dict[str, Any]) -> Iterator[None]:
    """Publish from this process to another broker for the duration of the block."""
    conf = app.conf
    saved = conf.broker_url, conf.broker_transport_options
    _drop_connections()
    conf.broker_url, conf.broker_transport_options = url, transport_options
    try:
        yield
    finally:
        _drop_connections()
        conf.broker_url, conf.broker_transport_options = saved


def _drop_connections() -> None:
    # Celery caches its pools on first use, and kombu keeps a registry of pools per
    # broker URL: close and forget them all, so the next publish connects afresh.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def queued_messages(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """(task name, kwargs) of each message waiting in a filesystem broker folder, in order."""
    found = []
    for path in sorted(folder.glob("*.msg")):
        message = json.loads(path.read_bytes())
        _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        found.append((message["headers"]["task"], kwargs))
    return found


def queued_task_ids(folder: Path) -> list[str]:
    """The task id of each message waiting in a filesystem broker folder, in order."""
    return [json.loads(path.read_bytes())["headers"]["id"] for path in sorted(folder.glob("*.msg"))]


# --- Celery workers ------------------------------------------------------------------


def shared_database_url() -> str:
    """A DATABASE_URL for the database this test process uses (pytest-django's test DB)."""
    s = connection.settings_dict
    if s["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{s['NAME']}"
    credentials = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        credentials += ":" + quote(s["PASSWORD"], safe="")
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{quote(s['NAME'], safe='')}"


def worker_env(*, var_dir: Path, redis_url: str = "", **values: str) -> dict[str, str]:
    """The environment of a production-like process: readinggroup.settings, DEBUG off."""
    env = {name: os.environ[name] for name in _PASSTHROUGH if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="readinggroup.settings",
        DEBUG="0",
        SECRET_KEY="integration-test-secret-key-" + "x" * 40,
        DATABASE_URL=shared_database_url(),
        READINGGROUP_VAR_DIR=str(var_dir),
        READINGGROUP_SITE_URL="http://testserver",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(values)
    return env


class Worker:
    """``celery -A readinggroup worker`` in a subprocess, logging to a file.

    ``pool="prefork"`` runs the task in a child process, as in production: killing
    that child is what ``kill -9`` of a busy worker process does."""

    def __init__(
        self, name: str, env: dict[str, str], log_dir: Path, *, pool: str = "solo"
    ) -> None:
        self.name = name
        self.env = env
        self.pool = pool
        self.log_path = log_dir / f"worker-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> Worker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "readinggroup", "worker",
                    f"--pool={self.pool}", "--concurrency=1",
                    "--loglevel=INFO", "--hostname", f"{self.name}@%h",
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                ],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_until(self._ready, timeout=timeout, what=f"worker {self.name} to be ready")
        return self

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"worker {self.name} exited:\n{self.log()}")
        return f"{self.name}@" in self.log() and " ready." in self.log()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def succeeded(self, task_name: str) -> list[str]:
        """Ids of the runs of ``task_name`` this worker finished, from its log."""
        marker = f"Task {task_name}["
        return [
            line.split(marker, 1)[1].split("]", 1)[0]
            for line in self.log().splitlines()
            if marker in line and "] succeeded in " in line
        ]

    def stop(self) -> None:
        """Kill the worker: tests stop it once its work is done and checked. (A warm
        shutdown on the filesystem broker takes about 4 s: its loop polls for 2 s.)"""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.kill()
        self.process.wait(timeout=10)


class Beat:
    """``celery -A readinggroup beat`` in a subprocess (its schedule file under VAR_DIR)."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_path = log_dir / "beat.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> Beat:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "readinggroup", "beat", "--loglevel=INFO"],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(lambda: "beat: Starting..." in self.log(), timeout=timeout, what="beat to start")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
