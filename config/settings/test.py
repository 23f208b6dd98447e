"""Settings for the test suite: fast hashing, in-memory e-mail, eager tasks unless a broker is named."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Serve static files straight from the app folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Live-server threads must not keep connections open past a test (PostgreSQL cannot drop the test DB).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# SQLite test databases live in a file, so a real Celery worker process (the end-to-end test) can open them.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    import os

    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}  # noqa: F405

# Export jobs' files go to a directory of this test run, removed when it ends.
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

EXPORTS_DIR = tempfile.mkdtemp(prefix="trial-test-exports-")
atexit.register(shutil.rmtree, EXPORTS_DIR, ignore_errors=True)

# The suite makes thousands of API calls a minute (the malformed-input walk): throttling is tested on its own.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "1000000/minute", "anon": "1000000/minute"}}  # noqa: F405
