"""Integration tests: real Celery workers (subprocesses) on the embedded filesystem broker
and on a real Redis, sharing this process's test database, mailing a real SMTP server.

The workers run ``readinggroup.settings`` (DEBUG off, SMTP mail) with DATABASE_URL naming
pytest-django's test database, so tests that use them need ``transactional_db``: what
this process writes must be committed for the worker to see it.

Redis tests (marker ``redis``) need ``redis-server``: without it they are skipped on a
laptop and fail in CI. READINGGROUP_TEST_REDIS_URL points them at a server that is
already running (.ci/run starts one); otherwise they start their own on a free port.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

from .harness import (
    REDIS_SERVER,
    RedisServer,
    Worker,
    filesystem_broker_options,
    free_port,
    redis_flush,
    use_broker,
    worker_env,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "redis: needs redis-server (apt-get install redis-server)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without redis-server, Redis tests skip on a laptop but fail in CI."""
    if REDIS_SERVER or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="redis-server is not installed (apt-get install redis-server)")
    for item in items:
        if item.get_closest_marker("redis"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("READINGGROUP_TEST_REDIS_URL", "").strip()
    if url:
        yield url
        return
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def redis_broker(redis_url: str) -> Iterator[str]:
    """This process publishes to Redis, starting from an empty queue."""
    redis_flush(redis_url)
    with use_broker(redis_url, settings.REDIS_BROKER_TRANSPORT_OPTIONS):
        yield redis_url


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    """READINGGROUP_VAR_DIR of the workers (their embedded broker folder lives here)."""
    return tmp_path / "var"


@pytest.fixture
def embedded_broker(var_dir: Path) -> Iterator[Path]:
    """This process publishes to the embedded broker folder the workers read."""
    folder = var_dir / "celery-broker"
    folder.mkdir(parents=True)
    with use_broker("filesystem://localhost/", filesystem_broker_options(folder)):
        yield folder


@pytest.fixture
def start_worker(tmp_path: Path, var_dir: Path) -> Iterator[Callable[..., Worker]]:
    """Start ``celery -A readinggroup worker`` processes; all are stopped after the test."""
    started: list[Worker] = []

    def start(
        name: str = "worker1", *, redis_url: str = "", pool: str = "solo", **env: str
    ) -> Worker:
        environment = worker_env(var_dir=var_dir, redis_url=redis_url, **env)
        worker = Worker(name, environment, tmp_path, pool=pool)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()
        # Shown by pytest when the test failed.
        print(f"---- {worker.name} log ----\n{worker.log()}")


@dataclass
class Inbox:
    """What a local SMTP server received: one entry per message (aiosmtpd envelopes)."""

    port: int
    envelopes: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_inbox() -> Iterator[Inbox]:
    """A real SMTP server on a loopback port; point EMAIL_HOST/EMAIL_PORT at it."""
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()
