"""The one settings module, configured from environment variables.

Every value a deployment changes comes from the environment; a value that
cannot be parsed stops start-up with a message naming the variable. With no
environment at all (and DEBUG=1) the app runs on embedded defaults: a SQLite
file and a filesystem Celery broker under ``var/``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("READINGGROUP_VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false or yes/no.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (for example "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or set DEBUG=1 for a local development server."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    "readinggroup",
    "papers",
]
# The benchmark and the synthetic group generator (benchmarks/, not shipped in the wheel):
# `make bench` and the test suite turn them on; production never loads them.
if env_bool("READINGGROUP_BENCHMARKS", False):
    INSTALLED_APPS.append("benchmarks")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that may query: a 503 page while the database is down, and
    # private, no-store on every response that does not set its own caching.
    "readinggroup.middleware.DatabaseUnavailableMiddleware",
    "readinggroup.middleware.PrivateCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login; views opt out with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "readinggroup.urls"
WSGI_APPLICATION = "readinggroup.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
_default_sqlite = f"sqlite:///{VAR_DIR / 'readinggroup.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL", _default_sqlite)
if not DATABASE_URL.strip():
    raise ImproperlyConfigured("DATABASE_URL is set but empty: unset it for SQLite, or give a URL.")
try:
    # Persistent connections, checked at the start of each request that uses one: after
    # a database restart a worker reconnects instead of failing on its dead connection.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if not DATABASES["default"].get("NAME"):
    raise ImproperlyConfigured("DATABASE_URL names no database (expected …/DBNAME at the end).")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compiles a plan once its estimated cost is high (the members page's
    # aggregates at 1,000 members): 20-30 ms of compiling to save a few ms of running.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options["options"] = f"{_pg_options.get('options', '')} -c jit=off".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if _default_sqlite == DATABASE_URL:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while a worker writes; IMMEDIATE makes
        # a writing transaction take the lock up front instead of failing late.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "readinggroup.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ---------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Reading lists are small; anything bigger than this is refused with a message.
READINGGROUP_MAX_IMPORT_BYTES = env_int("READINGGROUP_MAX_IMPORT_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = READINGGROUP_MAX_IMPORT_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = READINGGROUP_MAX_IMPORT_BYTES + 1024 * 1024
# Largest slides PDF a presenter may upload (bigger uploads stream to a temporary
# file, not memory; the limit is checked before anything is stored).
READINGGROUP_MAX_SLIDES_BYTES = env_int("READINGGROUP_MAX_SLIDES_BYTES", 20 * 1024 * 1024)

# --- Email -------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "readinggroup@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST or not DEBUG
    else "django.core.mail.backends.console.EmailBackend"
)

# --- Celery ------------------------------------------------------------------
# Redis in production. Without REDIS_URL, an embedded broker: kombu's filesystem
# transport in one folder under VAR_DIR that the web server, workers and beat share.
# Tasks are enqueued through readinggroup.outbox, which keeps any message the broker
# refused and publishes it again from the `outbox.sweep` task.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"REDIS_URL={REDIS_URL!r} is not a Redis URL (redis://HOST:PORT/DB, rediss:// or "
        "unix://); unset it for the embedded broker."
    )
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"
# Every task is stopped after READINGGROUP_TASK_TIME_LIMIT seconds (a gentle stop 10 s
# before), and the same number is the visibility timeout: Redis hands a task that a
# worker took and never acknowledged (the worker was killed) to another worker after
# that long, and the outbox publishes again a message that no worker started within
# it (lost with Redis's data). Shorter would redeliver tasks still running; longer
# makes a message lost with a worker or with Redis wait longer (kombu's own default is
# an hour). A send is bounded by EMAIL_TIMEOUT per step, well inside the limit.
READINGGROUP_TASK_TIME_LIMIT = env_int("READINGGROUP_TASK_TIME_LIMIT", 60)
if READINGGROUP_TASK_TIME_LIMIT < 20:
    raise ImproperlyConfigured(
        f"READINGGROUP_TASK_TIME_LIMIT={READINGGROUP_TASK_TIME_LIMIT} is too short: "
        "use 20 seconds or more."
    )
READINGGROUP_VISIBILITY_TIMEOUT = READINGGROUP_TASK_TIME_LIMIT
# When Redis is down, publishing gives up within about a second instead of retrying
# for minutes, so a request that enqueues never hangs.
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "visibility_timeout": READINGGROUP_VISIBILITY_TIMEOUT,
}
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
else:
    # Same folder in and out: every process reads and writes one queue. The folder
    # is made here so any process (web, worker, beat) may be the first to publish.
    CELERY_BROKER_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker keeps trying to reconnect however long Redis is away (Celery's default gives
# up after 100 tries, about 45 minutes, and stops the worker). It retries every 2 to
# 30 seconds, so it is back within 30 s of Redis.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
# No result backend: nothing waits for a task's return value (with a Redis result
# backend a publish while Redis is down blocks for about 19 s).
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it has finished, and redelivered if its worker dies:
# tasks are idempotent, so running one twice is harmless and losing one is not.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task running when the broker connection drops goes on to the end: a send the mail
# server is accepting must record that it was sent, not be killed and sent again.
# (Its acknowledgement is lost; the redelivered task finds the work done.)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = READINGGROUP_TASK_TIME_LIMIT - 10
CELERY_TASK_TIME_LIMIT = READINGGROUP_TASK_TIME_LIMIT
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = TIME_ZONE
# The one beat schedule. A tick skipped while the broker is down loses nothing: each
# tick looks at everything due by now. Ticks queued while no worker ran expire
# rather than pile up. The outbox sweep and the notifications' recovery (retries that
# are due, sends whose worker died) run every 30 seconds: after a fault, messages go
# out within a minute or two, not at the next tick.
CELERY_BEAT_SCHEDULE = {
    "notifications-tick": {
        "task": "notifications.tick",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    "notifications-recover": {
        "task": "notifications.recover",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "outbox-sweep": {
        "task": "outbox.sweep",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "papers-search-duplicates": {
        "task": "papers.search_duplicates",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 9 * 60},
    },
}
VAR_DIR.mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Security ------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY", False) else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# Preloading commits the domain and its subdomains to HTTPS in browsers for good:
# a deployment opts in. Django warns about the default, so that warning is silenced.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- Login throttling (django-axes) ----------------------------------------------------
# After READINGGROUP_LOGIN_FAILURE_LIMIT wrong passwords for one username from one client
# address, that pair is locked out for READINGGROUP_LOGIN_LOCKOUT_MINUTES (the login page
# and the admin login alike). Pairs, not addresses alone: a lab behind one NAT address
# must not be locked out by one person, and nobody can lock a member out from elsewhere.
# Organizers see and lift lockouts on /members/lockouts/.
AXES_FAILURE_LIMIT = env_int("READINGGROUP_LOGIN_FAILURE_LIMIT", 5)
if AXES_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured("READINGGROUP_LOGIN_FAILURE_LIMIT must be 1 or more.")
READINGGROUP_LOGIN_LOCKOUT_MINUTES = env_int("READINGGROUP_LOGIN_LOCKOUT_MINUTES", 15)
if READINGGROUP_LOGIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured("READINGGROUP_LOGIN_LOCKOUT_MINUTES must be 1 or more.")
AXES_COOLOFF_TIME = timedelta(minutes=READINGGROUP_LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A try while locked out does not restart the wait, so the page can say when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "readinggroup.members.lockouts.lockout_response"
AXES_USERNAME_CALLABLE = "readinggroup.members.lockouts.attempted_username"
# The client address that lockouts and email throttles count by. Behind N reverse
# proxies (READINGGROUP_PROXY_COUNT=N), it is the Nth address from the right of
# X-Forwarded-For, the one the outermost proxy saw; addresses further left are the
# client's own claims. Without proxies it is the connection's address.
READINGGROUP_PROXY_COUNT = env_int("READINGGROUP_PROXY_COUNT", 0)
if READINGGROUP_PROXY_COUNT < 0:
    raise ImproperlyConfigured("READINGGROUP_PROXY_COUNT must be 0 (no proxy) or more.")
AXES_CLIENT_IP_CALLABLE = "readinggroup.clients.client_address"
# Successful logins are not logged by axes (Django keeps last_login); failures are.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no banner in every process (manage.py, workers)

# --- Content-Security-Policy (django-csp) -------------------------------------------------
# Nothing inline: scripts and styles come from our static files, htmx reads its
# configuration from a meta tag. Slides set their own policy (sandbox) and keep it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes: failed logins and lockouts (warnings), not every login and clean-up.
    "loggers": {"axes": {"level": "WARNING"}},
}

# Notifications
# Emails carry absolute links (sessions, papers, unsubscribe), so they need the site's
# public address. Without it (and without DEBUG) every email fails with this name in
# its error, visible to organizers on /notifications/.
READINGGROUP_SITE_URL = os.environ.get(
    "READINGGROUP_SITE_URL", "http://127.0.0.1:8000" if DEBUG else ""
).rstrip("/")
if READINGGROUP_SITE_URL and not READINGGROUP_SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"READINGGROUP_SITE_URL={READINGGROUP_SITE_URL!r} must start with https:// or http://"
    )
# Seconds to wait for the chat webhook before giving up (the attempt is then retried).
READINGGROUP_WEBHOOK_TIMEOUT = env_int("READINGGROUP_WEBHOOK_TIMEOUT", 10)
# The webhook posts only to public addresses; 1 also allows private, loopback and
# link-local ones, for a chat server on the group's own network.
READINGGROUP_WEBHOOK_ALLOW_PRIVATE = env_bool("READINGGROUP_WEBHOOK_ALLOW_PRIVATE", False)
