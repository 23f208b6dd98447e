"""Settings shared by every environment. Values that differ come from the environment."""

import tempfile
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-local-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "simple_history",
    "core",
    "trial",
    "patients",
    "dosing",
    "responses",
    "adverse_events",
    "safety",
    "reports",
    "exports",
    "demo",  # last: the top tier (demo data, reference cohort); nothing imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.PrivateNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.SessionIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "core.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# An unset or empty DATABASE_URL means the embedded SQLite file.
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite lets one writer at a time; a request waits up to this many seconds for another's write (a session
    # saved by a concurrent request, say) instead of failing with "database is locked" after Django's default 5.
    # Transactions take the write lock when they begin (IMMEDIATE): a deferred one that has read and then writes
    # cannot wait for another writer and fails at once with "database is locked" (seen in CI's browser tests).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["timeout"] = env.int("SQLITE_TIMEOUT_SECONDS", default=20)
    options["transaction_mode"] = "IMMEDIATE"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "trial.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_URL_PATH = "/accounts/login/"
LOGIN_REDIRECT_URL = "trial:home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after this much inactivity (Part 11 §11.300: automatic logoff).
SESSION_IDLE_TIMEOUT_SECONDS = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=15 * 60)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en-gb"
FORMAT_MODULE_PATH = ["config.formats"]  # dates as 3 Jan 2024, times on the 24-hour clock
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail (console by default; SMTP in production via EMAIL_URL) ---
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="trial-data@localhost")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")  # links in e-mails

# --- Content Security Policy (django-csp 4): everything is served from this origin ---
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- REST API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated call answers 401 with a WWW-Authenticate header.
        "core.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Requests per user (or token) and per address for anonymous callers; over it: 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_THROTTLE_USER", default="1200/minute"),
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.RoleModelPermissions"],
    # JSON bodies must be objects without NUL bytes (core/api/parsers.py); forms and uploads as DRF's defaults.
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONObjectParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NCT01371630 trial data API",
    "DESCRIPTION": (
        "Data of the phase-II trial of mini-Hyper-CVD plus inotuzumab ozogamicin, with or without "
        "blinatumomab, in relapsed/refractory pre-B ALL. Every list is restricted to the caller's sites.\n\n"
        "**Authentication**: a session (the browser) or a token, `Authorization: Token <key>` (an administrator makes "
        "one with `manage.py drf_create_token USERNAME`). A token expires after `API_TOKEN_LIFETIME_HOURS` (30 days "
        "by default) and ends at once when its user's password changes or the account is deactivated. Calls are "
        "throttled per user or token (429 with `Retry-After`).\n\n"
        "**Pulling data (statisticians, data managers)**: one dataset, streamed as CSV:\n\n"
        "```sh\n"
        'curl -fsS -H "Authorization: Token $TOKEN" -o administrations.csv \\\n'
        "  https://trial.example.org/api/v1/exports/datasets/administrations/csv/\n"
        "```\n\n"
        "`GET /api/v1/exports/datasets/` lists the datasets with their data dictionaries. The whole study in a "
        "standard format (`zip`, `odm`, `sdtm`, `fhir`) is an export job: start it, poll it, download it:\n\n"
        "```sh\n"
        "job=$(curl -fsS -H \"Authorization: Token $TOKEN\" -H 'Content-Type: application/json' \\\n"
        '  -d \'{"format": "odm"}\' https://trial.example.org/api/v1/exports/ | jq -r .url)\n'
        'until [ "$(curl -fsS -H "Authorization: Token $TOKEN" "$job" | jq -r .status)" = done ]; do\n'
        "  sleep 5\n"
        "done\n"
        'curl -fsS -H "Authorization: Token $TOKEN" -OJ "$(curl -fsS -H "Authorization: Token $TOKEN" "$job" '
        '| jq -r .download)"\n'
        "```\n\n"
        "Without the `view_phi` permission every export is de-identified (HIPAA Safe Harbor)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets shared by several fields get one schema name each.
    "ENUM_NAME_OVERRIDES": {
        "PosNegEnum": "patients.choices.PosNeg",
        "YesNoUnknownEnum": "patients.choices.YesNoUnknown",
        "DoseLevelEnum": "trial.choices.DoseLevel",
        "RouteEnum": "trial.choices.Route",
        "DoseAmountUnitEnum": "dosing.choices.DoseAmountUnit",
        "AdministrationStatusEnum": "dosing.choices.AdministrationStatus",
        "RecordedStatusEnum": "dosing.choices.RECORDED_STATUSES",
        "DiseaseStatusEnum": "patients.choices.DiseaseStatus",
        "FollowUpDiseaseStatusEnum": "patients.choices.FollowUpDiseaseStatus",
        "PatientStatusEnum": "patients.choices.PatientStatus",
        "TransplantStatusEnum": "patients.choices.TransplantStatus",
        "MRDResultEnum": "responses.choices.MRDResult",
        "SAECriterionEnum": "adverse_events.choices.SAECriterion",
        "AttributionEnum": "adverse_events.choices.Attribution",
        "RuleKindEnum": "safety.choices.RuleKind",
        "FlagStatusEnum": "safety.choices.FlagStatus",
        "FlagSeverityEnum": "safety.choices.Severity",
    },
}

# --- Celery ---
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
# No broker configured: run tasks in-process so a bare machine needs no Redis.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TIMEZONE = "UTC"
# A stalled broker must not hang a web request: fail fast, the nightly sweep catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "max_retries": 1,
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE = {
    "audit-integrity-nightly": {
        "task": "core.tasks.audit_integrity_check",
        "schedule": crontab(hour=2, minute=0),
    },
    "safety-sweep-nightly": {
        "task": "safety.tasks.nightly_sweep",
        "schedule": crontab(hour=3, minute=0),
    },
}

# --- Cache: finished reports (reports.cache) are kept here per data version. One process's memory by default;
# production names Redis (CACHE_URL=redis://redis:6379/1) so that every worker shares what one computed. ---
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
REPORTS_CACHE_SECONDS = env.int("REPORTS_CACHE_SECONDS", default=60 * 60)

# Export jobs write their files here (not served as static or media: downloads go through a permission check).
# The web and worker processes must share it (a volume in docker-compose.yml).
# API tokens expire after this many hours (a new password or a deactivated account ends them at once).
API_TOKEN_LIFETIME_HOURS = env.int("API_TOKEN_LIFETIME_HOURS", default=24 * 30)

EXPORTS_DIR = env("EXPORTS_DIR", default=str(BASE_DIR / "var" / "exports"))
EXPORT_TIME_LIMIT_SECONDS = env.int("EXPORT_TIME_LIMIT_SECONDS", default=2 * 3600)
# The base URI naming the trial's own FHIR code systems and identifier systems: choose it once, keep it for good.
FHIR_SYSTEM_BASE = env("FHIR_SYSTEM_BASE", default="https://trial.example.org/fhir")

# --- Plots (reports): drawn on the server without a display; matplotlib caches its font list here ---
MATPLOTLIB_BACKEND = "Agg"
MATPLOTLIB_CONFIG_DIR = env("MPLCONFIGDIR", default=str(Path(tempfile.gettempdir()) / "trial-matplotlib"))

# --- Protocol data ---
PROTOCOL_DATA_DIR = BASE_DIR / "trial" / "protocol_data"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
