"""EdCoop settings, read from the environment.

No variable set means a development installation: an embedded SQLite database under
``var/`` and keys made once for this installation into ``var/`` (``core.devsecrets``).
``EDCOOP_ENV=production`` turns every unsafe default into a hard error at start-up, so a
misconfigured server never comes up half-secure.
"""

from __future__ import annotations

import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from edcoop.core.devsecrets import dev_secret, private_dir, private_file

PACKAGE_DIR = Path(__file__).resolve().parent
# In a source checkout (src layout) var/ sits at the repository root; elsewhere in the cwd.
_REPO_ROOT = PACKAGE_DIR.parent.parent
VAR_DIR = Path(
    os.environ.get(
        "EDCOOP_VAR_DIR",
        _REPO_ROOT / "var" if (_REPO_ROOT / "pyproject.toml").exists() else Path.cwd() / "var",
    )
)

ENV = os.environ.get("EDCOOP_ENV", "development").strip().lower()
if ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"EDCOOP_ENV must be 'development', 'production' or 'test', not {ENV!r}."
    )
PRODUCTION = ENV == "production"


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _fernet_keys_valid(keys: list[str]) -> bool:
    """Each key makes a Fernet that decrypts what it encrypted (a test token)."""
    from cryptography.fernet import Fernet

    try:
        return all(Fernet(k.encode()).decrypt(Fernet(k.encode()).encrypt(b"t")) == b"t"
                   for k in keys)  # fmt: skip
    except ValueError:
        return False


SECRET_KEY = os.environ.get("EDCOOP_SECRET_KEY", "")
DEBUG = env_bool("EDCOOP_DEBUG", False)
ALLOWED_HOSTS = env_list("EDCOOP_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])

if PRODUCTION:
    problems = []
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        problems.append("EDCOOP_SECRET_KEY must be set to a random string of 50 or more characters")
    if DEBUG:
        problems.append("EDCOOP_DEBUG must be off")
    if not ALLOWED_HOSTS:
        problems.append("EDCOOP_ALLOWED_HOSTS must list the host names the site is served on")
    if not os.environ.get("DATABASE_URL"):
        problems.append("DATABASE_URL must point at the PostgreSQL database")
    if not os.environ.get("EDCOOP_SEALING_KEY", "").strip():
        problems.append("EDCOOP_SEALING_KEY must hold the Fernet key that seals bid responses")
    _audit_keys = env_list("EDCOOP_AUDIT_KEY", [])
    if not _audit_keys or any(len(k) < 32 or len(set(k)) < 5 for k in _audit_keys):
        problems.append(
            "EDCOOP_AUDIT_KEY must hold the key (32 or more random characters) that keys the "
            "audit trail's hashes"
        )
    if os.environ.get("DATABASE_URL", "").strip().lower().startswith("sqlite"):
        problems.append(
            "DATABASE_URL must point at PostgreSQL: SQLite serves one machine's development "
            "or evaluation only"
        )
    _sealing_keys = env_list("EDCOOP_SEALING_KEY", [])
    if _sealing_keys and not _fernet_keys_valid(_sealing_keys):
        problems.append(
            "EDCOOP_SEALING_KEY must be Fernet keys (32 url-safe base64-encoded bytes each), "
            "comma-separated"
        )
    if problems:
        raise ImproperlyConfigured(
            "EdCoop refuses to start in production: " + "; ".join(problems) + "."
        )
elif not SECRET_KEY:
    # Made once per installation into var/ (0600), never a constant published with the source.
    SECRET_KEY = dev_secret(VAR_DIR, "secret_key", lambda: secrets.token_urlsafe(50))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "edcoop.core",
    "edcoop.members",
    "edcoop.api",
    "edcoop.services",
    "edcoop.billing",
    "edcoop.procurement",
    "edcoop.governance",
    "edcoop.contracts",
]

MIDDLEWARE = [
    # The probes first (no host check, redirect, sign-in or limit before them), then the
    # request's arrival time and id, taken before anything can make it wait.
    "edcoop.core.health.HealthMiddleware",
    "edcoop.core.requests.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "edcoop.core.middleware.RequestSizeMiddleware",
    "edcoop.core.middleware.RefuseNulMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "edcoop.core.middleware.AuditContextMiddleware",
    "edcoop.core.ratelimits.AnonymousApiWriteLimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "edcoop.urls"
WSGI_APPLICATION = "edcoop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "edcoop.core.context_processors.navigation",
            ],
        },
    },
]


# The production server (`edcoop serve`, gunicorn): worker processes, their threads, the
# address it listens on, and the database connections all of them together may hold.
def env_int(name: str, default: int, *, low: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < low:
        raise ImproperlyConfigured(f"{name} must be at least {low}, not {value}.")
    return value


EDCOOP_WORKERS = env_int("EDCOOP_WORKERS", 4)
EDCOOP_THREADS = env_int("EDCOOP_THREADS", 1)
EDCOOP_BIND = os.environ.get("EDCOOP_BIND", "127.0.0.1:8001").strip()
EDCOOP_DB_MAX_CONNECTIONS = env_int("EDCOOP_DB_MAX_CONNECTIONS", EDCOOP_WORKERS * EDCOOP_THREADS)
EDCOOP_SERVER_TIMEOUT = env_int("EDCOOP_SERVER_TIMEOUT", 60)
if EDCOOP_DB_MAX_CONNECTIONS < EDCOOP_WORKERS * EDCOOP_THREADS:
    raise ImproperlyConfigured(
        f"EDCOOP_DB_MAX_CONNECTIONS ({EDCOOP_DB_MAX_CONNECTIONS}) must be at least "
        f"EDCOOP_WORKERS x EDCOOP_THREADS ({EDCOOP_WORKERS * EDCOOP_THREADS}): every thread "
        "that serves a request needs a connection."
    )

_DEFAULT_DB = f"sqlite:///{VAR_DIR / 'edcoop.sqlite3'}"
if "DATABASE_URL" not in os.environ:
    # The embedded database holds everything, sealed responses included: owner-only, like
    # var/ itself (SQLite gives its journal and WAL files the database file's mode).
    private_file(private_dir(VAR_DIR) / "edcoop.sqlite3")
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _DEFAULT_DB))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing
    # half-way with "database is locked"; the audit chain relies on writers being serial.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30}
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("EDCOOP_TEST_SQLITE", "")}
elif env_bool("EDCOOP_DB_POOL", False):
    # The web server's processes pool (`edcoop serve` and edcoop.wsgi turn this on); one-shot
    # commands and the job worker keep one persistent connection each (below), so their
    # errors name the cause. Each of the EDCOOP_WORKERS server processes has its own pool of
    # at most EDCOOP_DB_MAX_CONNECTIONS // EDCOOP_WORKERS connections, so the server never
    # holds more than EDCOOP_DB_MAX_CONNECTIONS (docs/deploy.md: the arithmetic). A request
    # waits up to EDCOOP_DB_POOL_TIMEOUT seconds for a free one, then answers 503. Django
    # gives the connection back at the end of each request, so CONN_MAX_AGE must be 0; with
    # CONN_HEALTH_CHECKS the pool checks a connection before lending it, so one broken by a
    # restart or a terminated backend is replaced, not used.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": max(1, EDCOOP_DB_MAX_CONNECTIONS // EDCOOP_WORKERS),
        "timeout": float(os.environ.get("EDCOOP_DB_POOL_TIMEOUT", "5")),
        "max_idle": 300,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Sign-in throttling (core.signin): five failures for one username from one address pause
# it from that address for 15 minutes (never from another address); 30 failures from one
# address across usernames pause that address. Addresses as core.middleware.client_ip
# sees them, behind a proxy too.
AXES_FAILURE_LIMIT = int(os.environ.get("EDCOOP_LOGIN_FAILURE_LIMIT", "5"))
EDCOOP_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("EDCOOP_LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_HANDLER = "edcoop.core.signin.SignInHandler"
AXES_CLIENT_IP_CALLABLE = "edcoop.core.middleware.client_ip"

# Rate limits per client address on what anyone may send unsigned (core.ratelimits), e.g.
# "20/h" = 20 an hour, "10/5m" = 10 per 5 minutes. Counted in the database cache, which every
# worker process shares; its increments are not atomic, so a burst of simultaneous requests
# may pass a few over the limit.
EDCOOP_RATE_PUBLIC_FORMS = os.environ.get("EDCOOP_RATE_PUBLIC_FORMS", "20/h")
EDCOOP_RATE_SIGN_IN = os.environ.get("EDCOOP_RATE_SIGN_IN", "60/15m")
EDCOOP_RATE_PASSWORD_RESET = os.environ.get("EDCOOP_RATE_PASSWORD_RESET", "10/h")
EDCOOP_RATE_API_ANONYMOUS = os.environ.get("EDCOOP_RATE_API_ANONYMOUS", "30/h")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "edcoop_cache",
    },
}
RATELIMIT_USE_CACHE = "shared"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
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
# Outside production the files are served straight from the package, no collectstatic needed.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_AUTOREFRESH = DEBUG

# Sessions and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 10
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION or env_bool("EDCOOP_HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("EDCOOP_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
CSRF_TRUSTED_ORIGINS = env_list("EDCOOP_CSRF_TRUSTED_ORIGINS", [])

# Content-Security-Policy: everything from this site, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

EMAIL_BACKEND = os.environ.get(
    "EDCOOP_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EDCOOP_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EDCOOP_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EDCOOP_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EDCOOP_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EDCOOP_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("EDCOOP_FROM_EMAIL", "EdCoop <noreply@edcoop.invalid>")

# Logs go to standard error (the journal under systemd): in production one JSON object a
# line (EDCOOP_LOG_FORMAT=json), elsewhere plain text; every line written while a request
# runs carries its id (core.requests). EDCOOP_ACCESS_LOG=true adds one line per request.
EDCOOP_LOG_FORMAT = os.environ.get("EDCOOP_LOG_FORMAT", "json" if PRODUCTION else "text")
if EDCOOP_LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(
        f"EDCOOP_LOG_FORMAT must be 'json' or 'text', not {EDCOOP_LOG_FORMAT!r}."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "edcoop.core.requests.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "edcoop.core.requests.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": EDCOOP_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("EDCOOP_LOG_LEVEL", "WARNING")},
    "loggers": {
        # A locked-out login is worth a line; axes' per-attempt chatter is not.
        "axes": {"level": "WARNING"},
        "edcoop.request": {
            "level": "INFO" if env_bool("EDCOOP_ACCESS_LOG", PRODUCTION) else "WARNING"
        },
    },
}

NINJA_PAGINATION_PER_PAGE = 50

# Request bodies (core.middleware.RequestSizeMiddleware answers 413 above these): form fields
# and JSON 2.5 MB; file uploads from the pages (up to ten 10 MB attachments) 105 MB; a bid
# response sent to the API with its attachments in base64 (a 10 MB file is 13.4 MB of
# base64) 32 MB. Django's own ceiling is the largest of them.
MB = 1024 * 1024
EDCOOP_MAX_BODY_BYTES = int(os.environ.get("EDCOOP_MAX_BODY_BYTES", 5 * MB // 2))
EDCOOP_MAX_UPLOAD_BYTES = int(os.environ.get("EDCOOP_MAX_UPLOAD_BYTES", 105 * MB))
EDCOOP_LARGE_BODY_ROUTES = [
    ("POST", r"/api/v1/agencies/[^/]+/solicitations/\d+/responses", 32 * MB),
]
DATA_UPLOAD_MAX_MEMORY_SIZE = max(
    EDCOOP_MAX_BODY_BYTES, *(size for _, _, size in EDCOOP_LARGE_BODY_ROUTES)
)

# Background jobs: a queue on the same database, drained by `edcoop db_worker` (make demo
# starts one). Tests run each job at once, in the test's own transaction.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if ENV == "test"
            else "django_tasks_db.DatabaseBackend"
        ),
        "ENQUEUE_ON_COMMIT": False,
    }
}

# Behind a reverse proxy: the header it sets to the client's address (e.g. X-Real-IP).
EDCOOP_CLIENT_IP_HEADER = os.environ.get("EDCOOP_CLIENT_IP_HEADER", "")

# Where people reach this installation; links in e-mail start with it.
EDCOOP_BASE_URL = os.environ.get("EDCOOP_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Sealed bid responses are encrypted with this Fernet key (comma-separate several to rotate:
# the first encrypts). Required in production; elsewhere made once into var/.
EDCOOP_SEALING_KEY = os.environ.get("EDCOOP_SEALING_KEY", "").strip()
if not EDCOOP_SEALING_KEY and not PRODUCTION:
    EDCOOP_SEALING_KEY = dev_secret(
        VAR_DIR, "sealing_key", lambda: base64.urlsafe_b64encode(os.urandom(32)).decode()
    )

# The audit trail's event hashes are HMAC-SHA256 under this key (comma-separate several to
# rotate: the first keys new events, all verify). Required in production; elsewhere made once
# into var/. Signed checkpoints of the chain are written to EDCOOP_CHECKPOINT_DIR.
EDCOOP_AUDIT_KEY = os.environ.get("EDCOOP_AUDIT_KEY", "").strip()
if not EDCOOP_AUDIT_KEY and not PRODUCTION:
    EDCOOP_AUDIT_KEY = dev_secret(VAR_DIR, "audit_key", lambda: secrets.token_urlsafe(32))
EDCOOP_CHECKPOINT_DIR = Path(os.environ.get("EDCOOP_CHECKPOINT_DIR", VAR_DIR / "checkpoints"))
