"""Settings for the Valhalla ops API, read from the environment (12-factor).

Every knob has a development default, so ``make run`` works with no
configuration: SQLite in the project folder, tasks run in-process. Production
sets ``DJANGO_DEBUG=false``, a real ``DJANGO_SECRET_KEY``, ``DATABASE_URL`` and
``CELERY_BROKER_URL``.
"""

import os
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be an integer, not {value!r}"
        ) from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item]


# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)

# Refused below whenever DEBUG is off.
DEV_SECRET_KEY = "django-insecure-valhalla-development-key"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEV_SECRET_KEY
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. Set it to a long random value "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
        "or set DJANGO_DEBUG=true for local development."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "valhalla",  # first, so its templates override the libraries'
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "timeline",
    "notifications",
    "scenarios",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "valhalla.urls"
WSGI_APPLICATION = "valhalla.wsgi.application"
# The API's routes take an optional trailing slash; never redirect a POST.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -----------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; wait rather than fail on a lock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth, i18n, static -------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve the admin's and the docs' assets from the installed apps when
# `collectstatic` has not run (tests, `make run`); collected files win.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Writes per user (token) over time, e.g. "600/minute"; "off" disables.
VALHALLA_WRITE_RATE = os.environ.get("VALHALLA_WRITE_RATE", "6000/minute")

# The cache holds rate-limit counts: per process unless VALHALLA_CACHE_URL
# (redis://…) makes every worker share them.
if os.environ.get("VALHALLA_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["VALHALLA_CACHE_URL"],
        }
    }

# How long a worker process trusts a token it has looked up (0: every request).
VALHALLA_TOKEN_CACHE_SECONDS = env_int("VALHALLA_TOKEN_CACHE_SECONDS", 30)

# Request bodies larger than this are refused with 413 before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("VALHALLA_MAX_BODY_BYTES", 5 * 1024 * 1024)

# --- Security (production) ----------------------------------------------------

# DJANGO_HTTPS (default: on unless DEBUG) turns on what serving over TLS needs:
# redirect to https, secure cookies and HSTS. Set it to false to serve plain
# HTTP (a local gunicorn, the benchmarks).
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# Preload-list submission is a deliberate, hard-to-undo choice; opt in above.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    # Only behind a proxy that sets this header itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- REST framework and OpenAPI -------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "valhalla.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissions"],
    "DEFAULT_RENDERER_CLASSES": ["valhalla.rendering.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["valhalla.rendering.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["valhalla.throttling.WriteRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "valhalla.exceptions.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Valhalla ops API",
    "DESCRIPTION": (
        "Notifications, the event timeline and scenario simulations. "
        "Authenticate with `Authorization: Token <key>` or a session."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "NotificationStatusEnum": "notifications.models.NotificationLog.Status",
        "RunStatusEnum": "scenarios.models.ScenarioRun.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "valhalla.schema.add_common_errors",
    ],
}

# --- Email and notifications ------------------------------------------------

# EMAIL_URL: console:// (default), smtp://user:pass@host:587/?tls=True, smtps://…
_email = dj_email_url.parse(os.environ.get("EMAIL_URL", "console://"))
vars().update({name: value for name, value in _email.items() if value is not None})
if os.environ.get("DJANGO_EMAIL_BACKEND"):  # e.g. an anymail ESP backend
    EMAIL_BACKEND = os.environ["DJANGO_EMAIL_BACKEND"]
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Valhalla <noreply@localhost>"
)
EMAIL_DOMAIN = os.environ.get("EMAIL_DOMAIN", "valhalla.local")

NOTIFICATION_PROVIDERS = {
    "email": "notifications.providers.EmailProvider",
    "webhook": "notifications.providers.WebhookProvider",
    "in_app": "notifications.providers.InAppProvider",
    "console": "notifications.providers.ConsoleProvider",
}
# Transient failures retry after base * 2^(attempt-1) seconds (±50% jitter),
# up to NOTIFICATIONS_MAX_ATTEMPTS attempts in all.
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 5)
NOTIFICATIONS_RETRY_BASE_SECONDS = env_int("NOTIFICATIONS_RETRY_BASE_SECONDS", 30)
NOTIFICATIONS_RETRY_MAX_SECONDS = env_int("NOTIFICATIONS_RETRY_MAX_SECONDS", 3600)
# A queued notification this long past due is taken as lost and re-enqueued.
NOTIFICATIONS_SWEEP_GRACE_SECONDS = env_int("NOTIFICATIONS_SWEEP_GRACE_SECONDS", 60)
NOTIFICATIONS_CONNECT_TIMEOUT = env_int("NOTIFICATIONS_CONNECT_TIMEOUT", 5)
NOTIFICATIONS_READ_TIMEOUT = env_int("NOTIFICATIONS_READ_TIMEOUT", 10)

# --- Scenarios ------------------------------------------------------------------

# A running run whose worker stops heartbeating returns to pending after its
# lease; after SCENARIOS_MAX_ATTEMPTS leases it fails.
SCENARIOS_LEASE_SECONDS = env_int("SCENARIOS_LEASE_SECONDS", 300)
SCENARIOS_MAX_ATTEMPTS = env_int("SCENARIOS_MAX_ATTEMPTS", 3)
SCENARIOS_SWEEP_GRACE_SECONDS = env_int("SCENARIOS_SWEEP_GRACE_SECONDS", 60)

# --- Celery -------------------------------------------------------------------

# With no broker, tasks run in-process (the embedded default); `enqueue` in
# valhalla.tasks schedules them after the transaction commits either way. The
# in-memory transport keeps Celery from reaching for a default AMQP host.
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://localhost/"
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connection after every task unless
# told to reuse it: a new PostgreSQL connection per task quadruples its cost.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
# A request must not hang on a dead broker: the row is the source of truth and
# the periodic sweep re-enqueues whatever was not published.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BEAT_SCHEDULE = {
    "dispatch-queued-notifications": {
        "task": "notifications.dispatch_queued",
        "schedule": env_int("NOTIFICATIONS_SWEEP_EVERY_SECONDS", 60),
    },
    "sweep-scenario-runs": {
        "task": "scenarios.sweep_runs",
        "schedule": env_int("SCENARIOS_SWEEP_EVERY_SECONDS", 30),
    },
}

# --- Logging ------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
    },
}
