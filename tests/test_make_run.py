"""The README's run command: `make run` sets up, seeds and serves the app, and every link
it makes (the login it prints, calendar feeds, invites) names the address it serves on."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not (Path(sys.prefix) / "bin" / "python").exists(), reason="needs the project's venv"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A logged-out visitor with a cookie jar, as a person's browser would be."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path: str, data: dict[str, str]) -> str:
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=10) as response:
            return response.read().decode()


def test_make_run_serves_seeded_data_with_links_on_its_own_port(tmp_path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(READINGGROUP_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    env.pop("REDIS_URL", None)
    log = tmp_path / "run.log"
    with open(log, "wb") as output:
        run = subprocess.Popen(
            ["make", "run", f"ADDRPORT=127.0.0.1:{port}", f"VENV={sys.prefix}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                assert run.poll() is None, log.read_text()
                time.sleep(0.5)
        else:
            pytest.fail("make run did not serve within 120 s:\n" + log.read_text())
        printed = log.read_text()
        login = re.search(rf"Log in at {base}/ as 'organizer' with password '([^']+)'", printed)
        assert login, printed

        browser = Browser(base)
        browser.get("/accounts/login/")
        browser.post("/accounts/login/", {"username": "organizer", "password": login[1]})
        catalogue = browser.get("/papers/?q=mamba")
        assert "Mamba: Linear-time sequence modeling with selective state spaces" in catalogue
        feed_page = browser.post("/calendar/", {"action": "create"})
        assert f"{base}/calendar/" in feed_page
        assert "127.0.0.1:8000" not in feed_page
    finally:
        os.killpg(run.pid, signal.SIGINT)
        try:
            run.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
