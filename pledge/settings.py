"""Pledge's one settings module.

Every value has an embedded default that runs after checkout (SQLite under var/, secrets
generated into var/ on first use, mail written to files). Production sets ``PLEDGE_ENV=production``
and passes the rest through environment variables (or ``NAME_FILE`` for secrets); README.md lists
them all. A value that is wrong or missing for the chosen profile does not raise here: it is kept
in ``CONFIG_ERRORS`` and reported by the system checks of ``pledge/checks.py``, which stop every
command (``pledge serve``, ``pledge migrate`` ...) with a sentence saying how to fix it.
"""

import ipaddress
from pathlib import Path

import dj_database_url
from django.utils.functional import lazy

from pledge.env import email_settings, env, env_bool, env_int, env_list, generated_secret
from pledge.vault.keys import new_entry as new_key_entry

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("PLEDGE_VAR", str(BASE_DIR / "var"))).resolve()
SITE_DIR = Path(env("PLEDGE_SITE", str(BASE_DIR / "sites" / "gonex"))).resolve()


def site_sender() -> str:
    """The site folder's email sender, read from the loaded site (never at import)."""
    from pledge.inventory.loader import current_site

    return current_site().sender


def site_issuer(device=None) -> str:
    """The site's name, as authenticator apps show it beside the staff login."""
    from pledge.inventory.loader import current_site

    return str(current_site().name.get("en"))


# (setting, what to do) pairs; pledge/checks.py turns each into a system check error.
CONFIG_ERRORS: list[tuple[str, str]] = []

PLEDGE_ENV = env("PLEDGE_ENV", "development").strip().lower()
if PLEDGE_ENV not in {"development", "production"}:
    CONFIG_ERRORS.append(
        ("PLEDGE_ENV", f"PLEDGE_ENV is {PLEDGE_ENV!r}: set it to 'production' or leave it unset.")
    )
PRODUCTION = PLEDGE_ENV == "production"
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        CONFIG_ERRORS.append(
            (
                "SECRET_KEY",
                "SECRET_KEY is not set: set SECRET_KEY (or SECRET_KEY_FILE) to 50 or more "
                "random characters, e.g. the output of "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
            )
        )
        SECRET_KEY = "unset-" * 10  # never used: the check above stops start-up
    else:
        SECRET_KEY = generated_secret(VAR_DIR / "secret_key")

# PLEDGE_KEYS is the key ring for personal data at rest (see pledge/vault). Production must
# bring its own; the embedded default generates one into var/ on first use.
PLEDGE_KEYS = env("PLEDGE_KEYS")
if not PLEDGE_KEYS:
    if PRODUCTION:
        CONFIG_ERRORS.append(
            (
                "PLEDGE_KEYS",
                "PLEDGE_KEYS is not set: run `pledge keys generate` once, keep its output safe, "
                "and pass it as PLEDGE_KEYS (or PLEDGE_KEYS_FILE).",
            )
        )
    else:
        PLEDGE_KEYS = generated_secret(
            VAR_DIR / "keys",
            make=new_key_entry,
            announce=(
                "Pledge generated the key ring that encrypts personal data at {path}. "
                "Back it up with the database: without it the personal data cannot be read."
            ),
        )

# Checkpoints of the audit chain's end, appended hourly by the worker and by `pledge audit
# checkpoint` (pledge/vault/audit.py). They are worth most where the database's owner cannot
# write: another volume or host, made append-only (chattr +a).
PLEDGE_AUDIT_CHECKPOINTS = Path(
    env("PLEDGE_AUDIT_CHECKPOINTS", str(VAR_DIR / "audit-checkpoints"))
).resolve()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]")
if PRODUCTION and not ALLOWED_HOSTS:
    CONFIG_ERRORS.append(
        (
            "ALLOWED_HOSTS",
            "ALLOWED_HOSTS is not set: set it to the site's host names, comma separated, "
            "e.g. ALLOWED_HOSTS=letsgonex.cn,www.letsgonex.cn.",
        )
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "pledge",
    "pledge.inventory",
    "pledge.vault",
    "pledge.people",
    "pledge.mail",
    "pledge.tracking",
    "pledge.intake",
    "pledge.meetings",
    "pledge.cases",
    "pledge.inbox",
    "pledge.web",
    "pledge.console",
]

MIDDLEWARE = [
    "pledge.vault.middleware.RequestIdMiddleware",
    # /healthz, /readyz and /metrics are answered here, before everything below (pledge/health.py);
    # every other request is counted and timed from here on (pledge/metrics.py).
    "pledge.health.MachineEndpointsMiddleware",
    "pledge.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "pledge.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "pledge.tracking.middleware.TrackingMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "pledge.vault.middleware.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first, so a locked-out account is refused early
    "django.contrib.auth.backends.ModelBackend",
    "pledge.people.backends.EmailAccountBackend",  # visitors' accounts, by email
]

ROOT_URLCONF = "pledge.urls"
WSGI_APPLICATION = "pledge.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "pledge.web.context_processors.site",
                "pledge.web.context_processors.tracking",
                "pledge.web.context_processors.notices",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite in WAL mode with synchronous=FULL: a committed row survives a crash (SECURITY.md R3).
# BEGIN IMMEDIATE takes the write lock up front, so two writers wait instead of deadlocking.
SQLITE_OPTIONS = {
    "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"),
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pledge.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except ValueError:
    CONFIG_ERRORS.append(
        (
            "DATABASE_URL",
            f"DATABASE_URL {DATABASE_URL!r} is not a database address: use "
            "postgres://user:password@host:5432/name or sqlite:////absolute/path.sqlite3.",
        )
    )
    DATABASES = {"default": dj_database_url.parse(f"sqlite:///{VAR_DIR / 'pledge.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
else:
    # Each process keeps a pool of PostgreSQL connections that its threads borrow while a
    # request or task runs, so the connections a machine opens follow PLEDGE_DB_POOL_SIZE, not
    # the many threads that mostly wait for a beacon commit (PLEDGE_WEB_THREADS, below).
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # a connection goes back to the pool, not away
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # the pool checks one before lending it
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("PLEDGE_DB_POOL_SIZE", 8),
        "max_idle": 60,  # seconds: an idle connection beyond min_size is closed
        "timeout": 10,  # seconds a request waits for a free connection before it fails
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions, tasks -----------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
# Rate-limit counters and spent challenges are not a cache: they live in pledge/vault/limits.py
# (Redis with REDIS_URL, else the database's vault_limitcounter table).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Public forms: submissions per hour from one address, and for one email address (B3).
PLEDGE_FORM_LIMIT_PER_IP = env_int("PLEDGE_FORM_LIMIT_PER_IP", 20)
PLEDGE_FORM_LIMIT_PER_EMAIL = env_int("PLEDGE_FORM_LIMIT_PER_EMAIL", 5)

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Mail -----------------------------------------------------------------------------------
# A message whose worker died mid-send goes back in the queue after this (mail.retry_waiting).
PLEDGE_MAIL_STUCK_SECONDS = env_int("PLEDGE_MAIL_STUCK_SECONDS", 600)
EMAIL_URL = env("EMAIL_URL", "outbox:")
try:
    globals().update(email_settings(EMAIL_URL, VAR_DIR))
except ValueError as error:
    CONFIG_ERRORS.append(("EMAIL_URL", str(error)))
    EMAIL_BACKEND = "pledge.mail.backends.OutboxBackend"
if PRODUCTION and not EMAIL_URL.lower().startswith("smtp"):
    CONFIG_ERRORS.append(
        (
            "EMAIL_URL",
            "EMAIL_URL must name an SMTP server in production (mail written to files never "
            "reaches anyone): set EMAIL_URL=smtp://user:password@host:587?tls=1.",
        )
    )
# Unset, the site folder's sender (site.toml's sender, else its name and service mailbox),
# read when a message leaves, so it follows PLEDGE_SITE.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "") or lazy(site_sender, str)()
# The site's public address, for links in emails (confirmations, guardians, unsubscribe).
PLEDGE_SITE_URL = env("PLEDGE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Campaigns and notices: messages a minute, unless a campaign sets its own rate.
PLEDGE_CAMPAIGN_RATE = env_int("PLEDGE_CAMPAIGN_RATE", 600)
if PLEDGE_CAMPAIGN_RATE < 1:
    CONFIG_ERRORS.append(
        ("PLEDGE_CAMPAIGN_RATE", "PLEDGE_CAMPAIGN_RATE is messages a minute: set 1 or more.")
    )
# DKIM: every email signed for the From address's domain with this PEM private key (README).
PLEDGE_DKIM_KEY_FILE = env("PLEDGE_DKIM_KEY_FILE", "")
PLEDGE_DKIM_SELECTOR = env("PLEDGE_DKIM_SELECTOR", "")
if PLEDGE_DKIM_KEY_FILE:
    try:
        if b"PRIVATE KEY-----" not in Path(PLEDGE_DKIM_KEY_FILE).read_bytes():
            raise ValueError
    except (OSError, ValueError):
        CONFIG_ERRORS.append(
            (
                "PLEDGE_DKIM_KEY_FILE",
                f"PLEDGE_DKIM_KEY_FILE ({PLEDGE_DKIM_KEY_FILE}) is not a readable PEM private "
                "key: make it with `openssl genrsa -out dkim.pem 2048`, let the service's "
                "user read it, or unset PLEDGE_DKIM_KEY_FILE to send unsigned.",
            )
        )
    if not PLEDGE_DKIM_SELECTOR:
        CONFIG_ERRORS.append(
            (
                "PLEDGE_DKIM_SELECTOR",
                "PLEDGE_DKIM_KEY_FILE is set but PLEDGE_DKIM_SELECTOR is not: set the selector "
                "whose TXT record <selector>._domainkey.<domain> publishes the public key.",
            )
        )

# --- The service mailbox, read by Pledge (pledge/inbox, docs/inbox.md) ----------------------
# Where to read it: imaps://user:password@host[:port]/INBOX (imap:// only on a test machine).
# Unset, nothing is polled; mail can still come in through `pledge inbox serve` or a pipe.
INBOUND_URL = env("INBOUND_URL", "")
# The folder a message is moved to once stored (created if missing).
INBOUND_PROCESSED_FOLDER = env("INBOUND_PROCESSED_FOLDER", "Pledge/Processed")
# Addresses the SMTP/LMTP receiver accepts mail for; empty: the inventory's service mailbox.
INBOUND_RECIPIENTS = env_list("INBOUND_RECIPIENTS")
# Above this size a message is stored (encrypted) but not parsed, and waits for staff.
PLEDGE_INBOUND_MAX_BYTES = env_int("PLEDGE_INBOUND_MAX_BYTES", 10 * 1024 * 1024)
# What the SMTP/LMTP receiver refuses outright (552), so no sender fills the disk.
INBOUND_SMTP_MAX_BYTES = env_int("INBOUND_SMTP_MAX_BYTES", 25 * 1024 * 1024)
if INBOUND_URL:
    from urllib.parse import urlsplit

    try:
        _inbound = urlsplit(INBOUND_URL)
        _inbound_port = _inbound.port
    except ValueError:
        _inbound, _inbound_port = None, None
    if (
        _inbound is None
        or _inbound.scheme not in ("imap", "imaps")
        or not _inbound.hostname
        or not _inbound.username
    ):
        CONFIG_ERRORS.append(
            (
                "INBOUND_URL",
                "INBOUND_URL is not a mailbox address: use "
                "imaps://user:password@host:993/INBOX (escape @ and : in the password as "
                "%40 and %3A).",
            )
        )
    elif PRODUCTION and _inbound.scheme != "imaps":
        CONFIG_ERRORS.append(
            (
                "INBOUND_URL",
                "INBOUND_URL must use imaps:// in production (imap:// sends the mailbox's "
                "password and every message in clear): set INBOUND_URL=imaps://user:password@"
                "host:993/INBOX.",
            )
        )

# --- Staff authentication -------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "console:login"

# --- Languages and time ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# The site folder's own files (site.css, logo.svg), served as site/...
STATICFILES_DIRS = [("site", SITE_DIR / "static")]
WHITENOISE_USE_FINDERS = not PRODUCTION
# A static file missing from the manifest falls back to its plain name instead of a 500.
WHITENOISE_MANIFEST_STRICT = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploaded files (encrypted). With several app servers: one volume they all mount (docs/deploy.md).
MEDIA_ROOT = Path(env("PLEDGE_UPLOADS", str(VAR_DIR / "uploads"))).resolve()

# --- HTTP security (SECURITY.md H2-H6) ------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 60 * 60
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix binds a cookie to this exact host over HTTPS (H6).
    SESSION_COOKIE_NAME = "__Host-session"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
# Trusted proxies in front of Pledge (0: clients connect directly). Behind N proxies, the
# client's address is the Nth entry from the right of X-Forwarded-For, and the proxy's
# X-Forwarded-Proto says whether the client used HTTPS; with 0 both headers are ignored (I9).
PLEDGE_PROXY_COUNT = env_int("PLEDGE_PROXY_COUNT", 0)
if PLEDGE_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The staff console's network allow-list (the policy's "firewall", P22): comma-separated
# networks such as 10.0.0.0/8,2001:db8::/32; empty allows every network.
PLEDGE_CONSOLE_NETWORKS = []
for network in env_list("PLEDGE_CONSOLE_NETWORKS"):
    try:
        PLEDGE_CONSOLE_NETWORKS.append(str(ipaddress.ip_network(network, strict=False)))
    except ValueError:
        CONFIG_ERRORS.append(
            (
                "PLEDGE_CONSOLE_NETWORKS",
                f"PLEDGE_CONSOLE_NETWORKS holds {network!r}, which is not a network: "
                "use addresses or CIDR ranges such as 10.0.0.0/8, separated by commas.",
            )
        )

# Staff sessions (SECURITY.md A7): 30 minutes idle, 12 hours in all.
PLEDGE_STAFF_IDLE_SECONDS = env_int("PLEDGE_STAFF_IDLE_SECONDS", 30 * 60)
# The idle clock is written at most every 30 s (pledge/vault/middleware.py), so a session may
# end up to 30 s before its idle time: from 60 s up, nobody active in the last 30 s is signed out.
PLEDGE_STAFF_IDLE_MIN_SECONDS = 60
if PLEDGE_STAFF_IDLE_SECONDS < PLEDGE_STAFF_IDLE_MIN_SECONDS:
    CONFIG_ERRORS.append(
        (
            "PLEDGE_STAFF_IDLE_SECONDS",
            f"PLEDGE_STAFF_IDLE_SECONDS is {PLEDGE_STAFF_IDLE_SECONDS}: set it to "
            f"{PLEDGE_STAFF_IDLE_MIN_SECONDS} or more (the idle clock is written every 30 "
            "seconds, so a shorter limit would sign out staff at work), e.g. 1800.",
        )
    )
PLEDGE_STAFF_SESSION_SECONDS = env_int("PLEDGE_STAFF_SESSION_SECONDS", 12 * 60 * 60)

# Staff login throttling (django-axes, SECURITY.md A5; visitors are counted apart, in
# pledge/intake/accounts.py): five failures for one username from one address lock that pair
# for 15 minutes, so at most 20 guesses an hour reach an account from any one address, and
# nobody elsewhere is kept out. An account failing from many addresses at once gets one
# failure per address instead of five (pledge/vault/login_limits.py).
AXES_FAILURE_LIMIT = "pledge.vault.login_limits.staff_failure_limit"
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "pledge.vault.login_limits.login_address"  # IPv6 by its /64
AXES_LOCKOUT_CALLABLE = "pledge.console.views.auth.locked_out"
AXES_ENABLE_ADMIN = False
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]

# Two-factor login (django-otp): TOTP codes are single-use and throttled (A2).
# Unset, the site's name (django-otp calls a callable issuer with the device).
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "") or site_issuer
OTP_TOTP_THROTTLE_FACTOR = 1

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
        "object-src": ["'none'"],
    }
}

# --- Serving --------------------------------------------------------------------------------
PLEDGE_WEB_WORKERS = env_int("PLEDGE_WEB_WORKERS", 2)
# Threads per web worker. Under load most of them wait for the beacon's group commit, which
# holds no database connection; the more wait, the more events each commit carries (measured in
# `make bench`: 5 threads 3,200 events/s, 48 threads 6,600/s on SQLite). Pages borrow a pooled
# connection only while they run (PLEDGE_DB_POOL_SIZE above; SQLite opens one per request).
PLEDGE_WEB_THREADS = env_int("PLEDGE_WEB_THREADS", 64)
# Request bodies (SECURITY.md I7). pledge/bodies.py refuses a body over its cap before reading
# it: the largest declared file (the CV, 5 MB) or the console's CSV import (20 MB), plus this
# much form data, which is also Django's own limit on the fields apart from files.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Every body that passes the cap is already in memory; so are its files, never spooled to a
# plaintext temporary file on disk.
FILE_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024 * 1024

# --- Tracking (pledge/tracking) --------------------------------------------------------------
# Beacon events one address may send per minute (SECURITY.md B3), counted in the limits store
# that every web process shares (pledge/vault/limits.py; refused while it does not answer, B4):
# never more than this through all processes together (pledge/tracking/ratelimit.py).
PLEDGE_BEACON_RATE_LIMIT = env_int("PLEDGE_BEACON_RATE_LIMIT", 600)
# Aggregates below this many visitors are hidden on the dashboard (k-anonymity, P15).
PLEDGE_AGGREGATE_MIN_COUNT = env_int("PLEDGE_AGGREGATE_MIN_COUNT", 5)

# --- Health, metrics and logs (docs/operations.md) ------------------------------------------
# /metrics answers these networks only (the client as client_ip sees it, so a forged
# X-Forwarded-For changes nothing) and 404 to everyone else; set empty, nobody.
PLEDGE_METRICS_NETWORKS = []
for network in env_list("PLEDGE_METRICS_NETWORKS", "127.0.0.0/8,::1"):
    try:
        PLEDGE_METRICS_NETWORKS.append(str(ipaddress.ip_network(network, strict=False)))
    except ValueError:
        CONFIG_ERRORS.append(
            (
                "PLEDGE_METRICS_NETWORKS",
                f"PLEDGE_METRICS_NETWORKS holds {network!r}, which is not a network: "
                "use addresses or CIDR ranges such as 127.0.0.0/8,10.0.0.5, separated by commas.",
            )
        )

# LOG_FORMAT=json: one JSON object per line (time, level, logger, message, request id;
# pledge/logs.py). Unset or "plain": the lines as before.
LOG_FORMAT = env("LOG_FORMAT", "plain").strip().lower() or "plain"
if LOG_FORMAT not in {"plain", "json"}:
    CONFIG_ERRORS.append(
        (
            "LOG_FORMAT",
            f"LOG_FORMAT is {LOG_FORMAT!r}: set LOG_FORMAT=json for one JSON object per line, "
            "or leave it unset for plain lines.",
        )
    )
    LOG_FORMAT = "plain"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "pledge.logs.JsonFormatter"},
    },
    # Emailed links' tokens are cut out of every line (pledge/logs.py, SECURITY.md C4).
    "filters": {"link_tokens": {"()": "pledge.logs.RedactLinkTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["link_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "apscheduler": {"level": "WARNING"},
    },
}
