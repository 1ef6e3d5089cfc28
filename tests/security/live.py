"""A real gunicorn serving the app from a subprocess, for tests of what goes over the wire."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# Only what an interpreter needs; every setting comes from the test.
_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@cache
def collected_static() -> Path:
    """STATIC_ROOT after ``collectstatic``, made once per test run (the manifest storage
    of DEBUG off needs it for every page)."""
    root = Path(tempfile.mkdtemp(prefix="readinggroup-static-"))
    env = production_env(root / "var", STATIC_ROOT=str(root / "static"), collect=False)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return root / "static"


def production_env(var_dir: Path, *, collect: bool = True, **values: str) -> dict[str, str]:
    """A production-like environment (DEBUG off) served over plain HTTP on loopback."""
    env = {name: os.environ[name] for name in _PASSTHROUGH if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="readinggroup.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        READINGGROUP_VAR_DIR=str(var_dir),
        READINGGROUP_SITE_URL="http://127.0.0.1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if collect:
        env["STATIC_ROOT"] = str(collected_static())
    env.update(values)
    return env


def get(port: int, path: str, *, timeout: float = 10) -> http.client.HTTPResponse:
    """One GET on a new connection; the response is read in full."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        return response
    finally:
        conn.close()


@contextmanager
def gunicorn(
    env: dict[str, str], log: Path, *, config: bool = True, workers: int = 2
) -> Iterator[int]:
    """gunicorn serving readinggroup.wsgi (with our config unless ``config=False``);
    yields its port once /healthz answers."""
    port = free_port()
    args = [sys.executable, "-m", "gunicorn", "readinggroup.wsgi"]
    args += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    if config:
        args += ["-c", "python:readinggroup.gunicorn_config"]
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(port, "/healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
