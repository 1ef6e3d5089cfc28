"""Behaviour of readinggroup.settings at start-up, each case in a fresh interpreter.

The settings module reads the environment once, at import, so every case runs
``django.setup()`` (or ``manage.py``) in a subprocess with an environment built
from scratch: nothing from the developer's shell or from tests/settings.py
(which sets SECRET_KEY in this process) leaks in.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

SETUP_SNIPPET = "import django; django.setup(); print('setup-ok')"

# Only what an interpreter needs to run; every setting comes from the test itself.
_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in _PASSTHROUGH if name in os.environ}
    env["DJANGO_SETTINGS_MODULE"] = "readinggroup.settings"
    # Keep the default SQLite file and broker folder out of the checkout.
    env["READINGGROUP_VAR_DIR"] = str(tmp_path / "var")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(values)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _setup(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _run(["-c", SETUP_SNIPPET], env)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _production_secret_key() -> str:
    # token_urlsafe(50) is 67 characters, well past check --deploy's 50-character,
    # 5-distinct-character minimum.
    return secrets.token_urlsafe(50)


def test_setup_succeeds_with_production_env(tmp_path):
    """Control case: the failures below come from the variable under test, not the harness."""
    result = _setup(
        _env(tmp_path, DEBUG="0", SECRET_KEY=_production_secret_key(), ALLOWED_HOSTS="example.org")
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "setup-ok"


def test_setup_succeeds_with_debug_on_and_empty_env(tmp_path):
    result = _setup(_env(tmp_path, DEBUG="1"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "setup-ok"


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_setup_fails_when_debug_off_without_secret_key(tmp_path, secret_key):
    extra = {} if secret_key is None else {"SECRET_KEY": secret_key}
    result = _setup(_env(tmp_path, DEBUG="0", **extra))

    assert result.returncode == 1
    assert "setup-ok" not in result.stdout
    assert _last_line(result.stderr).startswith(
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set."
    ), result.stderr


def test_setup_fails_when_debug_unset_without_secret_key(tmp_path):
    """DEBUG defaults to off, so a bare environment is a production one and needs a key."""
    result = _setup(_env(tmp_path))

    assert result.returncode == 1
    assert _last_line(result.stderr).startswith(
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set."
    ), result.stderr


@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_setup_fails_when_debug_not_boolean(tmp_path, value):
    result = _setup(_env(tmp_path, DEBUG=value, SECRET_KEY=_production_secret_key()))

    assert result.returncode == 1
    assert "setup-ok" not in result.stdout
    assert _last_line(result.stderr) == (
        "django.core.exceptions.ImproperlyConfigured: "
        f"DEBUG={value!r} is not a boolean: use 1/0, true/false or yes/no."
    ), result.stderr


def test_check_deploy_passes_with_production_env(tmp_path):
    env = _env(
        tmp_path,
        DEBUG="0",
        SECRET_KEY=_production_secret_key(),
        ALLOWED_HOSTS="example.org",
        READINGGROUP_SITE_URL="https://example.org",
    )
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 0, result.stdout + result.stderr
    # "(0 silenced)" or more: silencing a check is a visible, reviewed choice in settings.py.
    assert result.stdout.startswith("System check identified no issues ("), result.stdout


def test_check_deploy_fails_without_site_url(tmp_path):
    env = _env(
        tmp_path, DEBUG="0", SECRET_KEY=_production_secret_key(), ALLOWED_HOSTS="example.org"
    )
    result = _run(["manage.py", "check", "--deploy"], env)

    assert result.returncode == 1
    assert "readinggroup.E001" in result.stderr
    assert "READINGGROUP_SITE_URL is not set" in result.stderr


@pytest.mark.parametrize(("count", "warned"), [("0", True), ("1", False)])
def test_check_deploy_warns_behind_a_proxy_without_proxy_count(tmp_path, count, warned):
    env = _env(
        tmp_path,
        DEBUG="0",
        SECRET_KEY=_production_secret_key(),
        ALLOWED_HOSTS="example.org",
        READINGGROUP_SITE_URL="https://example.org",
        BEHIND_HTTPS_PROXY="1",
        READINGGROUP_PROXY_COUNT=count,
    )
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == (1 if warned else 0), result.stdout + result.stderr
    assert ("readinggroup.W002" in result.stderr) is warned


def test_setup_fails_when_site_url_not_http(tmp_path):
    env = _env(tmp_path, DEBUG="1", READINGGROUP_SITE_URL="reading.example.org")
    result = _setup(env)

    assert result.returncode == 1
    assert _last_line(result.stderr).endswith(
        "READINGGROUP_SITE_URL='reading.example.org' must start with https:// or http://"
    )


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        # The detail after our prefix is dj-database-url's own wording; pin only the
        # part that tells the reader what was wrong with their value.
        ("mongodb://localhost/readinggroup", "'mongodb://'"),
        ("var/readinggroup.sqlite3", "'://'"),
        ("postgres://localhost:notaport/readinggroup", ""),
    ],
    ids=["unknown-scheme", "bare-path", "bad-port"],
)
def test_setup_fails_when_database_url_invalid(tmp_path, url, detail):
    result = _setup(_env(tmp_path, DEBUG="1", DATABASE_URL=url))

    assert result.returncode == 1
    assert "setup-ok" not in result.stdout
    last = _last_line(result.stderr)
    assert last.startswith(
        "django.core.exceptions.ImproperlyConfigured: DATABASE_URL is not a database URL: "
    ), result.stderr
    assert detail in last


def test_setup_fails_when_database_url_invalid_without_echoing_password(tmp_path):
    password = "hunter2-" + secrets.token_hex(8)
    url = f"postgres://reader:{password}@localhost:notaport/readinggroup"
    result = _setup(_env(tmp_path, DEBUG="1", DATABASE_URL=url))

    assert result.returncode == 1
    assert "DATABASE_URL is not a database URL" in result.stderr
    assert password not in result.stderr
    assert password not in result.stdout


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "DATABASE_URL is set but empty: unset it for SQLite, or give a URL."),
        ("postgres://localhost", "DATABASE_URL names no database (expected …/DBNAME at the end)."),
    ],
    ids=["empty", "no-database-name"],
)
def test_setup_fails_when_database_url_incomplete(tmp_path, url, message):
    result = _setup(_env(tmp_path, DEBUG="1", DATABASE_URL=url))

    assert result.returncode == 1
    assert _last_line(result.stderr) == f"django.core.exceptions.ImproperlyConfigured: {message}"


def test_postgresql_connections_turn_jit_off_keeping_options_from_the_url(tmp_path):
    url = "postgres://reader@localhost/readinggroup?options=-c%20statement_timeout%3D5000"
    snippet = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    result = _run(["-c", snippet], _env(tmp_path, DEBUG="1", DATABASE_URL=url))

    assert _last_line(result.stdout) == "{'options': '-c statement_timeout=5000 -c jit=off'}"


@pytest.mark.django_db
@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":", 1)[0] not in ("postgres", "postgresql"),
    reason="a PostgreSQL setting",
)
def test_postgresql_session_runs_without_jit():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("READINGGROUP_LOGIN_FAILURE_LIMIT", "0", "must be 1 or more."),
        ("READINGGROUP_LOGIN_FAILURE_LIMIT", "five", "='five' is not a whole number."),
        ("READINGGROUP_LOGIN_LOCKOUT_MINUTES", "0", "must be 1 or more."),
        ("READINGGROUP_PROXY_COUNT", "-1", "must be 0 (no proxy) or more."),
    ],
)
def test_setup_fails_on_bad_lockout_and_proxy_settings(tmp_path, name, value, message):
    result = _setup(_env(tmp_path, DEBUG="1", **{name: value}))

    assert result.returncode == 1
    error = "django.core.exceptions.ImproperlyConfigured: "
    sep = "" if message.startswith("=") else " "
    assert _last_line(result.stderr) == f"{error}{name}{sep}{message}"


def test_lockout_settings_come_from_the_environment(tmp_path):
    snippet = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.READINGGROUP_PROXY_COUNT)"
    )
    env = _env(
        tmp_path,
        DEBUG="1",
        READINGGROUP_LOGIN_FAILURE_LIMIT="8",
        READINGGROUP_LOGIN_LOCKOUT_MINUTES="30",
        READINGGROUP_PROXY_COUNT="1",
    )
    result = _run(["-c", snippet], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "8 0:30:00 1"
