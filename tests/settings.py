"""Test overrides, all in one place. Everything else comes from readinggroup.settings."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("READINGGROUP_VAR_DIR", tempfile.mkdtemp(prefix="readinggroup-test-"))
# Celery: the suite publishes to the embedded broker in its own temporary folder,
# whatever REDIS_URL the shell has; tests/integration/ point the app at Redis themselves.
os.environ.pop("REDIS_URL", None)
# tests/bench/ exercise the benchmark and the synthetic group generator (a dev-only app).
os.environ.setdefault("READINGGROUP_BENCHMARKS", "1")

from readinggroup.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT = VAR_DIR / "staticfiles"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# A file, not an in-memory database, so that Celery workers started by
# tests/integration/ (other processes) read and write the same test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
