"""Processes the benchmark starts and stops: gunicorn, a throwaway PostgreSQL, a Celery worker.

Each is started on loopback, owned by the benchmark, and stopped by its own pid.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit


def postgres_bin() -> Path | None:
    """The folder with initdb and pg_ctl: $READINGGROUP_PG_BIN, else the one on PATH, else
    the newest Debian cluster version under /usr/lib/postgresql (not on PATH there)."""
    if configured := os.environ.get("READINGGROUP_PG_BIN"):
        return Path(configured)
    if initdb := shutil.which("initdb"):
        return Path(initdb).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return versions[-1].parent if versions else None


class Unavailable(Exception):
    """Something the benchmark needs cannot run here; the message says what to do."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status_kb(pid: int | str, field: str) -> int | None:
    """A memory figure (VmRSS, VmHWM) of a process from /proc, in kB; None if unknown."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM, wait: float = 30) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


# --- gunicorn ---------------------------------------------------------------------------


class Gunicorn:
    """``gunicorn readinggroup.wsgi`` on a loopback port, with the benchmark's environment."""

    def __init__(
        self, env: dict[str, str], log: Path, *, workers: int, worker_class: str, threads: int
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "readinggroup.wsgi",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={workers}",
            f"--worker-class={worker_class}",
            f"--threads={threads}",
            "--timeout=60",
            "--log-level=warning",
            f"--error-logfile={log}",
        ]
        self.process = subprocess.Popen(command, env=env, cwd=env.get("BENCH_BASE_DIR"))
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s")

    def wait_idle(self, timeout: float = 300) -> None:
        """Until what a finished wrk run left queued has been served.

        wrk closes its connections when its time is up, but requests already in the
        listen queue are still accepted and served one by one; the next page must not
        pay for them. /healthz, queued behind them, answers promptly only once they
        are gone.
        """
        deadline = time.monotonic() + timeout
        prompt = 0
        while prompt < 2 and time.monotonic() < deadline:
            started = time.perf_counter()
            get(self.url + "/healthz", {})
            prompt = prompt + 1 if time.perf_counter() - started < 0.05 else 0
        time.sleep(0.5)

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def worker_rss_kb(self) -> list[int]:
        return [kb for pid in self.worker_pids() if (kb := proc_status_kb(pid, "VmRSS"))]

    def stop(self) -> None:
        _stop(self.process)


def get(url: str, headers: dict[str, str]) -> tuple[int, bytes, str]:
    """One request without following redirects: status, body, Location."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.read(), response.headers.get("Location", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Location", "")


# --- PostgreSQL -------------------------------------------------------------------------


class Postgres:
    """Fresh databases for the benchmark: on a throwaway cluster, or on a server you give.

    With ``url`` the server must let that user CREATE DATABASE; the benchmark makes
    its own databases next to the one named and drops them afterwards, so the
    named database itself is never touched.
    """

    def __init__(self, url: str | None = None) -> None:
        self.process_dir: Path | None = None
        self.created: list[str] = []
        if url:
            self.base_url = url
        else:
            self.base_url = self._start_cluster()
        try:
            import psycopg

            with psycopg.connect(self._dsn(self.base_url), autocommit=True) as conn:
                self.version = conn.execute("SHOW server_version").fetchone()[0]
        except Exception as exc:
            self.stop()
            where = self._safe(self.base_url)
            raise Unavailable(f"cannot connect to PostgreSQL at {where}: {exc}") from None

    @staticmethod
    def _dsn(url: str) -> str:
        return url.replace("postgres://", "postgresql://", 1)

    @staticmethod
    def _safe(url: str) -> str:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit(
            (parts.scheme, f"{parts.username or ''}@{host}{port}", parts.path, "", "")
        )

    def _as_postgres(self, command: list[str], cwd: Path) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:  # initdb refuses root: run it as the postgres user
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)

    def _start_cluster(self) -> str:
        pg_bin = postgres_bin()
        if pg_bin is None or not (pg_bin / "initdb").exists():
            raise Unavailable(
                "PostgreSQL is not installed (no initdb on PATH or under /usr/lib/postgresql): "
                "`apt-get install -y postgresql`, set READINGGROUP_PG_BIN, or give --postgres-url."
            )
        self.pg_bin = pg_bin
        if os.geteuid() == 0 and not shutil.which("runuser"):
            raise Unavailable("running as root without runuser: cannot start PostgreSQL")
        folder = Path(tempfile.mkdtemp(prefix="readinggroup-bench-pg-"))
        folder.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        self.process_dir = folder
        data = folder / "data"
        port = free_port()
        done = self._as_postgres(
            [
                str(self.pg_bin / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            folder,
        )
        if done.returncode != 0:
            self.stop()
            raise Unavailable(f"initdb failed: {done.stderr.strip()[-500:]}")
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off"
        done = self._as_postgres(
            [
                str(self.pg_bin / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "postgres.log"),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ],
            folder,
        )
        if done.returncode != 0:
            self.stop()
            raise Unavailable(f"pg_ctl start failed: {done.stderr.strip()[-500:]}")
        return f"postgres://postgres@127.0.0.1:{port}/postgres"

    def create_database(self, suffix: str) -> str:
        """A new empty database; its URL."""
        import psycopg
        from psycopg import sql

        parts = urlsplit(self.base_url)
        base_name = parts.path.lstrip("/") or "postgres"
        name = f"{base_name}_bench_{suffix}"
        with psycopg.connect(self._dsn(self.base_url), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        return urlunsplit(parts._replace(path="/" + quote(name)))

    def drop_databases(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self._dsn(self.base_url), autocommit=True) as conn:
            for name in self.created:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        self.created = []

    def stop(self) -> None:
        if self.process_dir is None:
            if self.created:
                self.drop_databases()
            return
        data = self.process_dir / "data"
        if (data / "postmaster.pid").exists():
            self._as_postgres(
                [str(self.pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                self.process_dir,
            )
        shutil.rmtree(self.process_dir, ignore_errors=True)
        self.process_dir = None


# --- Celery -----------------------------------------------------------------------------


class CeleryWorker:
    """A real worker (solo pool: the task runs in the worker process) on the app's broker."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "readinggroup",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--include=benchmarks.worker_tasks",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
        with open(log, "ab") as output:  # its banner and warnings go to the log, not ours
            self.process = subprocess.Popen(
                command,
                env=env,
                cwd=env.get("BENCH_BASE_DIR"),
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM, wait=30)
