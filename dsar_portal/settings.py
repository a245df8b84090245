"""Settings for the DSAR portal: one module, every production value from the environment.

`make run` and `make test` write `var/local.env` (a random secret key and encryption key) so a
fresh clone starts on embedded defaults; variables set in the real environment always win.
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from cases.languages import LANGUAGE_CHOICES

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
_env_file = Path(env.str("DJANGO_ENV_FILE", default=str(VAR_DIR / "local.env")))
if _env_file.is_file():
    env.read_env(_env_file)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

_INSECURE_KEY_PREFIX = "django-insecure"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY or SECRET_KEY.startswith(_INSECURE_KEY_PREFIX) or len(SECRET_KEY) < 32:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is missing, a default or too short (32+ characters); "
            "set a random one (make run writes one to var/local.env)."
        )
    SECRET_KEY = SECRET_KEY or _INSECURE_KEY_PREFIX + "-debug-only-key-never-use-in-production"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "netcore",
    "cases",
    "accounts",
]

MIDDLEWARE = [
    # Outermost, so that every response carries the security headers: static files (which
    # whitenoise answers before the rest), the 400 for a host we do not serve and error pages
    # made by any middleware below.
    "dsar_portal.security.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "dsar_portal.logs.RequestIdMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dsar_portal.security.RejectNulInQueryMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dsar_portal.urls"
WSGI_APPLICATION = "dsar_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Databases: SQLite under var/ unless DATABASE_URL names another.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write at the same time: wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not memory) so worker processes started by tests share it; one per test run.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
# Keep connections open between requests and tasks: opening one costs more than a window's work.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
# The languages a subject can be answered in (cases/languages.py); the portal itself is English.
# Their catalogues are locale/<code>/LC_MESSAGES/django.po, compiled by the set-up
# (`manage.py compilemessages`, run by `make install`).
LANGUAGES = LANGUAGE_CHOICES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True
# Every date and time in one format, whatever the locale (dsar_portal/clock.py).
FORMAT_MODULE_PATH = ["dsar_portal.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Fonts (portal and report): the files static/fonts/fonts.css names, served from these folders
# (Debian's fonts-noto-core, fonts-noto-cjk and fonts-noto-color-emoji); see dsar_portal/fonts.py.
FONT_DIRS = env.list(
    "FONT_DIRS", default=["/usr/share/fonts/truetype/noto", "/usr/share/fonts/opentype/noto"]
)
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "dsar_portal.fonts.FontFinder",
]
MEDIA_ROOT = VAR_DIR / "media"
# Reports hold personal data: kept outside any served folder, handed out only by signed-in views.
PRIVATE_STORAGE_ROOT = Path(env.str("PRIVATE_STORAGE_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Email: files under var/mail unless EMAIL_URL names a server.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="privacy@localhost")
# Seconds to wait for the mail server before giving up (a send is then tried again later).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# Celery: Redis when REDIS_URL is set, else kombu's filesystem transport (no server needed).
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    _broker_dir = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
        # Look for new messages often: a harvest is many short tasks.
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A worker takes only the messages it can start at once: the dispatcher keeps few windows queued
# (HARVEST_QUEUED_WINDOWS), and a message waiting in one worker's hands would leave others idle.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The queue tasks go to and workers take from (one per deployment sharing a Redis). The harvest
# watchdog has a queue of its own beside it, "<this name>.watchdog" (dsar_portal/celery.py).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TIMEZONE = TIME_ZONE

# Netcore API keys are stored encrypted with this key (Fernet, urlsafe base64 of 32 bytes).
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
if not FIELD_ENCRYPTION_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY is missing; generate one with `python -c "
        '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.'
    )

# Cases: the longest date range an officer may ask Netcore to search, and the most windows
# (requests to Netcore: accounts × primary keys × channels × 7-day windows) one case may plan.
CASE_MAX_RANGE_DAYS = env.int("CASE_MAX_RANGE_DAYS", default=1827)  # five years
CASE_MAX_WINDOWS = env.int("CASE_MAX_WINDOWS", default=5000)

# Security. `make run` serves plain http on 127.0.0.1, so HTTPS-only behaviour is opt-in; a
# production .env turns it on (see .env.example; `manage.py check --deploy` is clean with it).
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# No script of ours reads the CSRF cookie (forms carry the token).
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
# Health checks probe the container over plain HTTP, from inside it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
# The health check answers over plain http too (container and load-balancer probes).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Sessions end after this many minutes without a request (each request starts the count again).
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Content security policy (django-csp): our pages and the admin load scripts, styles, fonts and
# images from the portal only, with no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
    }
}

# Sign-in: django-axes counts failures in the database (shared by every web process and machine)
# per (username, client address), and our handler adds a higher limit per address that refuses
# only names which failed there (accounts/lockout.py); the lockout page is ours.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "accounts.lockout.SignInLockoutHandler"
AXES_FAILURE_LIMIT = env.int("DJANGO_SIGNIN_FAILURE_LIMIT", default=5)
SIGNIN_ADDRESS_FAILURE_LIMIT = env.int("DJANGO_SIGNIN_ADDRESS_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = env.int("DJANGO_SIGNIN_LOCKOUT_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client's address: REMOTE_ADDR, or behind this many trusted proxies (each appending to
# X-Forwarded-For) the address the outermost one saw (accounts/client_address.py).
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.client_address.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.signin_log.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False
# Two-factor sign-in (TOTP, django-otp): required for everyone when on; otherwise for members of
# the "Two-factor sign-in required" group and for anyone who has set up an authenticator.
REQUIRE_2FA = env.bool("DJANGO_REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = env.str("DJANGO_OTP_ISSUER", default="DSAR portal")

# Logs: JSON lines in production, plain lines when debugging (or DJANGO_LOG_FORMAT=plain); a
# request id and task id on each line; emails, phone numbers and keys masked (dsar_portal/logs.py).
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("DJANGO_LOG_FORMAT must be json or plain.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "dsar_portal.logs.ContextFilter"},
        "redact": {"()": "dsar_portal.logs.RedactionFilter"},
    },
    "formatters": {
        "json": {"()": "dsar_portal.logs.JsonFormatter"},
        "plain": {
            "()": "dsar_portal.logs.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s%(ids)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # pikepdf (joining reports) logs its start-up at INFO.
    "loggers": {"pikepdf": {"level": "WARNING"}},
}

# The local sandbox's API key (make run writes a random one; the "Sandbox" account uses it).
NETCORE_SANDBOX_API_KEY = env.str("NETCORE_SANDBOX_API_KEY", default="")
# Accounts call Netcore's three documented addresses; any other base URL (the sandbox, a test
# server) only when this is on (`make run` turns it on), and never a link-local or metadata one.
NETCORE_ALLOW_CUSTOM_BASE_URL = env.bool("NETCORE_ALLOW_CUSTOM_BASE_URL", default=False)

# Netcore: client timeouts and retries (transient errors only; backoff doubles up to the max, with
# jitter; a 429's Retry-After is honoured up to NETCORE_RETRY_AFTER_MAX seconds).
NETCORE_CONNECT_TIMEOUT = env.float("NETCORE_CONNECT_TIMEOUT", default=5.0)
NETCORE_READ_TIMEOUT = env.float("NETCORE_READ_TIMEOUT", default=60.0)
NETCORE_MAX_ATTEMPTS = env.int("NETCORE_MAX_ATTEMPTS", default=5)
NETCORE_BACKOFF_INITIAL = env.float("NETCORE_BACKOFF_INITIAL", default=1.0)
NETCORE_BACKOFF_MAX = env.float("NETCORE_BACKOFF_MAX", default=30.0)
NETCORE_RETRY_AFTER_MAX = env.float("NETCORE_RETRY_AFTER_MAX", default=120.0)

# Netcore: the longest a request waits for the shared rate limiter (Redis) to answer again.
NETCORE_RATE_LIMITER_MAX_WAIT = env.float("NETCORE_RATE_LIMITER_MAX_WAIT", default=120.0)

# Harvest. A worker renews the claim of each window it holds every HARVEST_HEARTBEAT_SECONDS; the
# watchdog (every HARVEST_WATCHDOG_SECONDS) takes a claim not renewed for
# HARVEST_STALE_AFTER_SECONDS as its worker's death and queues the window again, so a slow window
# is never taken twice. A window is tried at most HARVEST_MAX_ATTEMPTS times (worker deaths and
# faults of our own count; Netcore's retries are NETCORE_MAX_ATTEMPTS, within one try) before it
# fails. HARVEST_QUEUED_WINDOWS windows at most wait in the queue, all cases together: a case
# started later waits behind no more than these.
HARVEST_STALE_AFTER_SECONDS = env.float("HARVEST_STALE_AFTER_SECONDS", default=180)
HARVEST_WATCHDOG_SECONDS = env.float("HARVEST_WATCHDOG_SECONDS", default=120)
HARVEST_HEARTBEAT_SECONDS = env.float("HARVEST_HEARTBEAT_SECONDS", default=30)
HARVEST_MAX_ATTEMPTS = env.int("HARVEST_MAX_ATTEMPTS", default=3)
HARVEST_QUEUED_WINDOWS = env.int("HARVEST_QUEUED_WINDOWS", default=8)
if HARVEST_STALE_AFTER_SECONDS < 3 * HARVEST_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "HARVEST_STALE_AFTER_SECONDS must be at least three HARVEST_HEARTBEAT_SECONDS: a claim "
        "whose heartbeat is merely late would be taken for a dead worker's and the window "
        "fetched twice."
    )
if HARVEST_MAX_ATTEMPTS < 1 or HARVEST_QUEUED_WINDOWS < 1:
    raise ImproperlyConfigured("HARVEST_MAX_ATTEMPTS and HARVEST_QUEUED_WINDOWS must be 1 or more.")

# Periodic jobs (run by `celery beat`, or `celery worker --beat` on one machine).
# Deadline reminders go to the assigned officer once a day for cases due within
# REMINDER_DAYS_AHEAD days and overdue ones; beat looks every hour from REMINDER_HOUR (local time)
# so a late start still sends that day's, and a case is never reminded twice in a day.
REMINDER_DAYS_AHEAD = env.int("REMINDER_DAYS_AHEAD", default=7)
REMINDER_HOUR = env.int("REMINDER_HOUR", default=7)
# The portal's address as officers reach it, for links in emails.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
# Events, reports and collection data of a case finished this many days ago are deleted (the
# case record and its audit trail stay); the purge runs daily at RETENTION_PURGE_HOUR.
RETENTION_DAYS_AFTER_CLOSE = env.int("RETENTION_DAYS_AFTER_CLOSE", default=90)
RETENTION_PURGE_HOUR = env.int("RETENTION_PURGE_HOUR", default=2)
# A case finished this many days ago is anonymised by the same daily run (the accountability
# stage: the subject replaced by a pseudonym, the trail's personal values erased).
ACCOUNTABILITY_RETENTION_DAYS = env.int("ACCOUNTABILITY_RETENTION_DAYS", default=1095)

# The audit trail's anchor: the global ledger's head, written daily at AUDIT_ANCHOR_HOUR outside
# the database, appended to this file (on storage the database's owners cannot rewrite) and/or
# emailed to these addresses (the DPO); `verify_audit --anchor FILE` checks against them.
AUDIT_ANCHOR_FILE = env.str("AUDIT_ANCHOR_FILE", default="")
AUDIT_ANCHOR_EMAIL = env.list("AUDIT_ANCHOR_EMAIL", default=[])
AUDIT_ANCHOR_HOUR = env.int("AUDIT_ANCHOR_HOUR", default=3)

CELERY_BEAT_SCHEDULE = {
    "harvest-watchdog": {
        "task": "cases.tasks.harvest_watchdog_task",
        "schedule": float(HARVEST_WATCHDOG_SECONDS),
    },
    "deadline-reminders": {
        "task": "cases.tasks.deadline_reminders_task",
        "schedule": crontab(minute=0, hour=f"{REMINDER_HOUR}-23"),
    },
    "retention-purge": {
        "task": "cases.tasks.retention_purge_task",
        "schedule": crontab(minute=30, hour=RETENTION_PURGE_HOUR),
    },
    "delivery-watchdog": {"task": "cases.tasks.delivery_watchdog_task", "schedule": 60.0},
    "audit-anchor": {
        "task": "cases.tasks.audit_anchor_task",
        "schedule": crontab(minute=15, hour=AUDIT_ANCHOR_HOUR),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)

# Time limits of the Celery tasks (seconds): at the soft limit the task is interrupted
# (SoftTimeLimitExceeded) and records why; at the hard one its worker process is killed. Celery
# enforces them in its prefork and solo pools only, not with `--pool threads` (make run,
# docker-compose.yml): a window therefore also stops fetching at its soft limit in code.
HARVEST_WINDOW_SOFT_TIME_LIMIT = env.int("HARVEST_WINDOW_SOFT_TIME_LIMIT", default=300)
HARVEST_WINDOW_TIME_LIMIT = env.int("HARVEST_WINDOW_TIME_LIMIT", default=360)
HARVEST_WATCHDOG_SOFT_TIME_LIMIT = env.int("HARVEST_WATCHDOG_SOFT_TIME_LIMIT", default=60)
HARVEST_WATCHDOG_TIME_LIMIT = env.int("HARVEST_WATCHDOG_TIME_LIMIT", default=90)
REPORT_BUILD_SOFT_TIME_LIMIT = env.int("REPORT_BUILD_SOFT_TIME_LIMIT", default=3600)
REPORT_BUILD_TIME_LIMIT = env.int("REPORT_BUILD_TIME_LIMIT", default=3900)
REMINDERS_SOFT_TIME_LIMIT = env.int("REMINDERS_SOFT_TIME_LIMIT", default=300)
REMINDERS_TIME_LIMIT = env.int("REMINDERS_TIME_LIMIT", default=360)
RETENTION_PURGE_SOFT_TIME_LIMIT = env.int("RETENTION_PURGE_SOFT_TIME_LIMIT", default=1800)
RETENTION_PURGE_TIME_LIMIT = env.int("RETENTION_PURGE_TIME_LIMIT", default=2100)
# Any task not named below (Celery's own defaults).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_TASK_ANNOTATIONS = {
    name: {"soft_time_limit": soft, "time_limit": hard}
    for name, soft, hard in (
        (
            "cases.tasks.harvest_window_task",
            HARVEST_WINDOW_SOFT_TIME_LIMIT,
            HARVEST_WINDOW_TIME_LIMIT,
        ),
        (
            "cases.tasks.harvest_watchdog_task",
            HARVEST_WATCHDOG_SOFT_TIME_LIMIT,
            HARVEST_WATCHDOG_TIME_LIMIT,
        ),
        ("cases.tasks.report_generate_task", REPORT_BUILD_SOFT_TIME_LIMIT, REPORT_BUILD_TIME_LIMIT),
        # A case file is a PDF too, rendered by the report's renderer.
        ("cases.tasks.case_file_build_task", REPORT_BUILD_SOFT_TIME_LIMIT, REPORT_BUILD_TIME_LIMIT),
        ("cases.tasks.deadline_reminders_task", REMINDERS_SOFT_TIME_LIMIT, REMINDERS_TIME_LIMIT),
        (
            "cases.tasks.retention_purge_task",
            RETENTION_PURGE_SOFT_TIME_LIMIT,
            RETENTION_PURGE_TIME_LIMIT,
        ),
    )
}
for _name, _limits in {
    "*": {"soft_time_limit": CELERY_TASK_SOFT_TIME_LIMIT, "time_limit": CELERY_TASK_TIME_LIMIT},
    **CELERY_TASK_ANNOTATIONS,
}.items():
    if not 0 < _limits["soft_time_limit"] < _limits["time_limit"]:
        raise ImproperlyConfigured(
            f"{_name}: the soft time limit must be positive and below the hard one ({_limits})."
        )

# Reports: events per rendered part (smaller uses less memory, larger has less overhead), worker
# processes that render parts side by side, the largest PDF sent as an email attachment (bytes;
# many mail servers refuse messages over 10-25 MB), and how often a failed send is tried.
REPORT_EVENTS_PER_PART = env.int("REPORT_EVENTS_PER_PART", default=1000)
REPORT_RENDER_PROCESSES = env.int("REPORT_RENDER_PROCESSES", default=2)
REPORT_MAX_ATTACHMENT_BYTES = env.int("REPORT_MAX_ATTACHMENT_BYTES", default=10 * 1024 * 1024)
REPORT_SEND_ATTEMPTS = env.int("REPORT_SEND_ATTEMPTS", default=3)
# Celery closes the task's database connection after every task unless told to reuse it; a
# harvest runs hundreds of short tasks, and opening a connection costs more than one of them.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
# Seconds before the second try of a failed send; doubled before each further one.
REPORT_SEND_BACKOFF_SECONDS = env.float("REPORT_SEND_BACKOFF_SECONDS", default=2.0)

# Delivery to the subject: the channel the send form preselects ("attachment": the PDF,
# encrypted, in the email; "link": a download page behind a one-time code, used anyway for a
# PDF over REPORT_MAX_ATTACHMENT_BYTES), how many days a link works, and after how many seconds
# a send with no outcome is taken for lost with its worker (the watchdog then acts on it).
REPORT_DELIVERY_DEFAULT = env.str("REPORT_DELIVERY_DEFAULT", default="link")
if REPORT_DELIVERY_DEFAULT not in ("attachment", "link"):
    raise ImproperlyConfigured("REPORT_DELIVERY_DEFAULT must be attachment or link.")
REPORT_LINK_DAYS = env.int("REPORT_LINK_DAYS", default=7)
REPORT_SEND_STALE_SECONDS = env.int("REPORT_SEND_STALE_SECONDS", default=600)
