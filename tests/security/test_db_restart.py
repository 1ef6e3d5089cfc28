"""A PostgreSQL restart under a live gunicorn: while the database is down, requests get the
503 page (never a 500), and once it is back, no request fails: each worker's persistent
connection is checked (CONN_HEALTH_CHECKS) and replaced instead of failing its next request.

The test starts a PostgreSQL 15 cluster of its own on a free loopback port, so that it can
restart it; it needs the server binaries (they are in CI) and skips on a laptop without.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .live import REPO_ROOT, free_port, gunicorn, production_env

PG_BIN = Path("/usr/lib/postgresql/15/bin")
HAVE_PG = (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()

pytestmark = [
    pytest.mark.pg_cluster,
    pytest.mark.skipif(
        not HAVE_PG and not os.environ.get("CI"),
        reason="PostgreSQL 15 server binaries are not installed (apt-get install postgresql)",
    ),
]

PASSWORD = "a long and unusual passphrase"


@dataclass
class Cluster:
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/readinggroup"

    def pg(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program as the cluster's owner (initdb refuses to run as root)."""
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, cwd=self.folder, capture_output=True, text=True, timeout=120, check=check
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        log = str(self.folder / "postgres.log")
        self.pg("pg_ctl", "-D", "data", "-l", log, "-w", "-t", "60", "-o", options, "start")

    def restart(self) -> None:
        # Stop and start rather than `pg_ctl restart`, which cannot send the new server's
        # output to the log file (it would hold our pipes open).
        self.pg("pg_ctl", "-D", "data", "-m", "fast", "-w", "-t", "60", "stop")
        self.start()


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    # Not under pytest's tmp_path: its parents are private to root, and postgres must
    # be able to reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="readinggroup-pg-", dir="/tmp"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder=folder, port=free_port())
    try:
        cluster.pg(
            "initdb", "-D", "data", "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-locale", "--no-sync",
        )  # fmt: skip
        cluster.start()
        cluster.pg("createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
                   "readinggroup")  # fmt: skip
        yield cluster
    finally:
        cluster.pg("pg_ctl", "-D", "data", "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(folder, ignore_errors=True)


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT, env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip


class Visitor:
    """A logged-in member's browser, reduced to its cookies; one connection per request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str = "") -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.read().decode()
        finally:
            conn.close()

    def log_in(self, username: str, password: str) -> None:
        _, page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = f"csrfmiddlewaretoken={token}&username={username}&password={password}"
        status, _ = self.request("POST", "/accounts/login/", body)
        assert status == 302, "the login failed"


PAGES = ("/members/", "/healthz?deep=1", "/sessions/", "/papers/")


def _requests(visitor: Visitor, count: int) -> list[int]:
    return [visitor.request("GET", PAGES[n % len(PAGES)])[0] for n in range(count)]


def test_no_request_fails_after_a_database_restart(cluster: Cluster, tmp_path: Path) -> None:
    env = production_env(tmp_path / "var", DATABASE_URL=cluster.url)
    _manage(env, "migrate", "--noinput")
    env_user = {**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD}
    _manage(env_user, "createsuperuser", "--noinput", "--username", "ada", "--email", "a@b.org")
    log = tmp_path / "gunicorn.log"

    with gunicorn(env, log, workers=2) as port:
        visitor = Visitor(port)
        visitor.log_in("ada", PASSWORD)
        # Every worker holds a persistent connection (20 requests reach both workers).
        assert _requests(visitor, 20) == [200] * 20

        # 1. A restart while nobody asks: afterwards each worker's connection is dead,
        # and its next request must still succeed.
        cluster.restart()
        assert _requests(visitor, 40) == [200] * 40, f"failed after the restart; see {log}"

        # 2. A restart under load: while the database is down, the 503 page, never a 500.
        during: list[tuple[int, str]] = []
        stop = threading.Event()

        def hammer() -> None:
            n = 0
            while not stop.is_set():
                during.append(visitor.request("GET", PAGES[n % len(PAGES)]))
                n += 1
                time.sleep(0.02)

        thread = threading.Thread(target=hammer)
        thread.start()
        try:
            cluster.restart()
        finally:
            stop.set()
            thread.join(timeout=60)
        assert _requests(visitor, 20) == [200] * 20, f"failed after the restart; see {log}"

    assert during, "no request was made while the database restarted"
    assert {status for status, _ in during} <= {200, 503}
    for status, body in during:
        if status == 503 and not body.startswith("{"):  # /healthz?deep=1 answers in JSON
            assert "The database is restarting; try again in a moment" in body
