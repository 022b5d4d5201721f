"""
Newsroom settings, read from environment variables (documented in .env.example).

Production is the default: DJANGO_DEBUG must be set explicitly for development, and
without debug the site refuses to start until DJANGO_SECRET_KEY is set.
"""

import os
import sys
from datetime import timedelta
from email.utils import formataddr, getaddresses
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from js_asset import static_lazy

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_str(name, default=""):
    return os.environ.get(name, default).strip()


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_float(name, default):
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def env_list(name, default=()):
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        sys.exit(
            "Newsroom will not start: set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for development)."
        )
    SECRET_KEY = "development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    # Admin sign-in throttling (see AXES_* below).
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    # Full-text search on PostgreSQL; the app only adds lookups, so it is harmless on SQLite.
    "django.contrib.postgres",
    # The mail outbox every app sends through: a small app inside newsroom/ (its own label).
    "newsroom.outbox",
    "crispy_forms",
    "crispy_bootstrap5",
    "reversion",
    "django_prose_editor",
    # comments before articles: its load_demo extends the articles one, and the first app wins.
    "comments",
    "articles",
    "sharing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous readers' pages from this worker's memory, before sessions, CSRF and auth.
    "newsroom.pagecache.PageCacheMiddleware",
    # Below WhiteNoise and the page cache, which serve their files and pages pre-compressed (no
    # secret is in a cached page). GZip compresses the rest: Django's adds random padding against
    # BREACH, and every CSRF token on those pages is masked per response.
    "django.middleware.gzip.GZipMiddleware",
    "newsroom.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A database outage in a view answers 503 with Retry-After, not 500.
    "newsroom.views.DatabaseUnavailableMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sharing.middleware.ShareVisitMiddleware",
    "comments.middleware.PendingCommentsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

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
                "articles.context_processors.site",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    # The embedded default: a SQLite file a newcomer needs nothing installed for.
    VAR_DIR.mkdir(exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'newsroom.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "newsroom.cache.ReusingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "newsroom",
            # A Redis that is down or unreachable must cost a request a fraction of a second,
            # once per NEWSROOM_CACHE_RETRY_SECONDS (newsroom/cache.py), never a hang.
            "OPTIONS": {
                "socket_connect_timeout": env_float("NEWSROOM_CACHE_TIMEOUT", 0.5),
                "socket_timeout": env_float("NEWSROOM_CACHE_TIMEOUT", 0.5),
            },
        }
    }
else:
    # Without Redis, a cache every process of this machine shares (gunicorn's workers, the
    # Celery worker), so an invalidation in one is seen by all: never a per-process memory
    # cache, whose pages would stay stale on the other workers. One machine only.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env_str("NEWSROOM_CACHE_DIR", str(VAR_DIR / "cache")),
            "KEY_PREFIX": "newsroom",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

# Celery: Redis is the broker when configured; otherwise tasks run eagerly in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
# Publishing to a broker that is down fails fast: what a task sends is stored first and swept up.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2}
CELERY_TIMEZONE = "UTC"

# --- Auth -----------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Sign-in throttling with django-axes, a well-kept library, rather than our own limiter: it hooks
# into authentication itself (every login form, not one view), keeps failed attempts in the
# database where an administrator sees and clears them (admin, `axes_reset`), and has a tested
# lockout flow. Failures count per user name *and* address, so a stranger guessing cannot lock an
# editor out from elsewhere; the address is ours (client_ip), so it follows the proxy setting.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("NEWSROOM_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("NEWSROOM_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "newsroom.ratelimit.client_ip"
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner in every management command
# Keep failed attempts only, not a log of every successful sign-in with its address.
AXES_DISABLE_ACCESS_LOG = True

# --- Time and language ------------------------------------------------------------------------

# The readers' language: <html lang>, and the translation of every marked string (locale/).
LANGUAGE_CODE = env_str("DJANGO_LANGUAGE_CODE", "en-gb")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("NEWSROOM_TIME_ZONE", "Asia/Kolkata")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise as they are.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded originals (lead images as editors sent them) live outside MEDIA_ROOT, which the web
# server serves publicly; staff fetch them through the admin (newsroom.storage).
NEWSROOM_PRIVATE_MEDIA_ROOT = env_str("NEWSROOM_PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private-media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "newsroom.staticstorage.GzipManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The article editor's own extension: pasted headings stay headings. It allows no extra tags, so
# its sanitizer rule (called with the extension's config and the shared allowlist) does nothing.
DJANGO_PROSE_EDITOR_EXTENSIONS = [
    {
        "js": [static_lazy("admin/articles/paste-blocks.js")],
        "extensions": {"PasteBlocks": lambda config, allowlist: None},
    }
]

# --- Email ------------------------------------------------------------------------------------

EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# Mail goes out under the site's name (readers see "The Newsroom", not an address) by default.
NEWSROOM_SITE_NAME = env_str("NEWSROOM_SITE_NAME", "The Newsroom")
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", formataddr((NEWSROOM_SITE_NAME, "newsroom@localhost"))
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security ---------------------------------------------------------------------------------

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto. Every default below is the safe
# production value; development (DJANGO_DEBUG=1) relaxes what plain-HTTP runserver needs.
BEHIND_TLS_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY", not DEBUG)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the app append to X-Forwarded-For: the reader's address is that
# many entries from the end (newsroom.ratelimit.client_ip). 0 trusts only the socket address.
NEWSROOM_TRUSTED_PROXIES = env_int("NEWSROOM_TRUSTED_PROXIES", 1 if BEHIND_TLS_PROXY else 0)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers ask for the health check over plain HTTP, from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

# Error reports (a 500 and its traceback) are mailed to DJANGO_ADMINS, "Name <address>" items
# separated by commas. They go straight to the mail server, not through the outbox: they must
# reach someone when the database is what failed.
ADMINS = getaddresses(env_list("DJANGO_ADMINS"))
# Django's default logging (kept: disable_existing_loggers is False) mails them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}

# --- Newsroom ---------------------------------------------------------------------------------

NEWSROOM_SITE_URL = env_str("NEWSROOM_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
NEWSROOM_ARTICLES_PER_PAGE = env_int("NEWSROOM_ARTICLES_PER_PAGE", 12)
# Anonymous readers' article, print, home, section and author pages come from the shared cache
# (newsroom/pagecache.py) for at most this long; changes retire them at once. 0 turns it off.
NEWSROOM_PAGE_CACHE_SECONDS = env_int("NEWSROOM_PAGE_CACHE_SECONDS", 600)
# How long browsers and CDNs may reuse a page without asking again (they always may revalidate
# with ETag). 0 keeps take-downs and corrections instant everywhere.
NEWSROOM_PAGE_MAX_AGE = env_int("NEWSROOM_PAGE_MAX_AGE", 0)
# After the shared cache fails, requests leave it alone (pages from the database, rate limits
# per process) for this long before one of them tries it again.
NEWSROOM_CACHE_RETRY_SECONDS = env_int("NEWSROOM_CACHE_RETRY_SECONDS", 5)
# Each worker keeps the most recently used pages in its own memory, up to this many megabytes
# (pre-compressed; a hit asks Redis only whether the page is still current). 0 turns it off.
NEWSROOM_PAGE_MEMORY_MB = env_int("NEWSROOM_PAGE_MEMORY_MB", 64)
# Compile each kept query's queryset again on every run and refuse SQL that differs from the
# kept (newsroom.compiledsql): on in the test settings, where a key that misses an input fails.
NEWSROOM_CHECK_COMPILED_QUERIES = env_bool("NEWSROOM_CHECK_COMPILED_QUERIES", False)
# On PostgreSQL the kept queries are prepared statements of each connection (planned once).
# Turn off behind a pooler in transaction mode (PgBouncer's), where a session is not kept.
NEWSROOM_PREPARED_STATEMENTS = env_bool("NEWSROOM_PREPARED_STATEMENTS", True)
# Varnish servers in front (varnish/newsroom.vcl), e.g. "http://127.0.0.1:6081": every cache
# invalidation bans the pages it retires there too.
NEWSROOM_VARNISH_URLS = env_list("NEWSROOM_VARNISH_URLS")

# Spam traps on reader forms (newsroom.spamtraps): a post sooner than this after the form was
# shown, or later than the maximum age, is treated as automated.
NEWSROOM_SPAM_MIN_SECONDS = env_int("NEWSROOM_SPAM_MIN_SECONDS", 3)
NEWSROOM_SPAM_MAX_FORM_AGE = env_int("NEWSROOM_SPAM_MAX_FORM_AGE", 2 * 24 * 3600)

# Editors' workflow (articles admin): how long a shared draft preview link works by default and
# at most (an editor may pick any expiry up to the cap), and the largest lead image accepted, in
# megabytes.
NEWSROOM_PREVIEW_LINK_HOURS = env_int("NEWSROOM_PREVIEW_LINK_HOURS", 48)
NEWSROOM_PREVIEW_LINK_MAX_DAYS = env_int("NEWSROOM_PREVIEW_LINK_MAX_DAYS", 14)
NEWSROOM_LEAD_IMAGE_MAX_MB = env_int("NEWSROOM_LEAD_IMAGE_MAX_MB", 10)
# The most pixels an uploaded picture may have (width × height); larger ones are refused before
# they are decoded. 40 million is a 7,700 × 5,200 photo; a lead image needs 1,200 wide.
NEWSROOM_IMAGE_MAX_PIXELS = env_int("NEWSROOM_IMAGE_MAX_PIXELS", 40_000_000)

# Reader comments (comments app). Rates are "count/period" pairs: s, m, h or d.
NEWSROOM_COMMENTS_MODE = env_str("NEWSROOM_COMMENTS_MODE", "trusted")  # pre, trusted or post
NEWSROOM_COMMENTS_MAX_DEPTH = env_int("NEWSROOM_COMMENTS_MAX_DEPTH", 3)
NEWSROOM_COMMENTS_PER_PAGE = env_int("NEWSROOM_COMMENTS_PER_PAGE", 50)
# Reports hide an approved comment once their weights add up to the threshold (and come from two
# readers at least). A guest's report weighs 1; a signed-in reader whose earlier reports were
# upheld (the comment rejected or marked spam) weighs more. Reports are also limited per address.
NEWSROOM_COMMENTS_REPORT_THRESHOLD = env_int("NEWSROOM_COMMENTS_REPORT_THRESHOLD", 3)
NEWSROOM_COMMENTS_UPHELD_REPORTER_WEIGHT = env_int("NEWSROOM_COMMENTS_UPHELD_REPORTER_WEIGHT", 2)
NEWSROOM_COMMENTS_REPORT_RATE_LIMITS = env_str("NEWSROOM_COMMENTS_REPORT_RATE_LIMITS", "10/h,30/d")
NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS = env_int("NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS", 30)
NEWSROOM_COMMENTS_MAX_LINKS = env_int("NEWSROOM_COMMENTS_MAX_LINKS", 2)
NEWSROOM_COMMENTS_RATE_LIMITS = env_str("NEWSROOM_COMMENTS_RATE_LIMITS", "5/m,30/h")
NEWSROOM_COMMENTS_DIGEST_SECONDS = env_int("NEWSROOM_COMMENTS_DIGEST_SECONDS", 600)
# The digest carries an alert once the longest-waiting held comment has waited this long, and
# again after each further period of it (0 turns the alert off).
NEWSROOM_COMMENTS_SLA_ALERT_MINUTES = env_int("NEWSROOM_COMMENTS_SLA_ALERT_MINUTES", 60)
# Opening a held comment in the admin claims it for this long: others see who is reviewing it.
NEWSROOM_COMMENTS_CLAIM_MINUTES = env_int("NEWSROOM_COMMENTS_CLAIM_MINUTES", 5)
NEWSROOM_COMMENTS_IP_RETENTION_DAYS = env_int("NEWSROOM_COMMENTS_IP_RETENTION_DAYS", 30)
# The spam filter (comments/spamfilter.py) scores comments once a model has learned from this
# many moderators' decisions, retrains after every NEWSROOM_SPAM_FILTER_RETRAIN_EVERY new ones
# and nightly, and picks its hold threshold for at most this share of false positives on ham.
NEWSROOM_SPAM_FILTER_MIN_DECISIONS = env_int("NEWSROOM_SPAM_FILTER_MIN_DECISIONS", 300)
NEWSROOM_SPAM_FILTER_RETRAIN_EVERY = env_int("NEWSROOM_SPAM_FILTER_RETRAIN_EVERY", 50)
NEWSROOM_SPAM_FILTER_MAX_FP_RATE = float(env_str("NEWSROOM_SPAM_FILTER_MAX_FP_RATE", "0.01"))
NEWSROOM_SPAM_FILTER_FOLDS = env_int("NEWSROOM_SPAM_FILTER_FOLDS", 5)
# Spam waves (comments/clusters.py): near-identical texts or one link domain from this many
# senders (emails or IPs) within the window form a cluster and are held. Links to the ignored
# domains (and to the site itself) never tie comments together.
NEWSROOM_COMMENTS_CLUSTER_HOURS = env_int("NEWSROOM_COMMENTS_CLUSTER_HOURS", 24)
NEWSROOM_COMMENTS_CLUSTER_MIN_SENDERS = env_int("NEWSROOM_COMMENTS_CLUSTER_MIN_SENDERS", 3)
NEWSROOM_COMMENTS_CLUSTER_IGNORE_DOMAINS = env_list(
    "NEWSROOM_COMMENTS_CLUSTER_IGNORE_DOMAINS", ["wikipedia.org", "youtube.com", "youtu.be"]
)

# The mail outbox (newsroom.outbox): every email is retried after the backoff, doubling each time
# up to the maximum delay, until NEWSROOM_OUTBOX_RETRY_SECONDS after it was queued (3 days); the
# sweep sends what is due every NEWSROOM_OUTBOX_SWEEP_SECONDS; a worker's claim on a message
# expires after NEWSROOM_OUTBOX_CLAIM_SECONDS. Sent and cancelled messages are deleted (with the
# addresses they hold) NEWSROOM_OUTBOX_KEEP_DAYS after they were queued; failed ones are kept.
NEWSROOM_OUTBOX_RETRY_SECONDS = env_int("NEWSROOM_OUTBOX_RETRY_SECONDS", 3 * 24 * 3600)
NEWSROOM_OUTBOX_RETRY_BACKOFF = env_int("NEWSROOM_OUTBOX_RETRY_BACKOFF", 30)
NEWSROOM_OUTBOX_MAX_RETRY_DELAY = env_int("NEWSROOM_OUTBOX_MAX_RETRY_DELAY", 3600)
NEWSROOM_OUTBOX_SWEEP_SECONDS = env_int("NEWSROOM_OUTBOX_SWEEP_SECONDS", 60)
NEWSROOM_OUTBOX_CLAIM_SECONDS = env_int("NEWSROOM_OUTBOX_CLAIM_SECONDS", 60)
NEWSROOM_OUTBOX_KEEP_DAYS = env_int("NEWSROOM_OUTBOX_KEEP_DAYS", 30)
# /healthz says "degraded" when the oldest unsent message is older than this.
NEWSROOM_HEALTH_OUTBOX_MAX_AGE = env_int("NEWSROOM_HEALTH_OUTBOX_MAX_AGE", 3600)

# Email this article (sharing app). Rates are "count/period" pairs (s, m, h or d), counted per
# IP address and per sender address. Messages go through the outbox. Every rate limit is named
# NEWSROOM_<what is counted>_RATE_LIMITS; these two were NEWSROOM_SHARE_RATE_PER_IP and
# NEWSROOM_SHARE_RATE_PER_SENDER, names still read so that existing deployments keep their limits.
NEWSROOM_SHARE_IP_RATE_LIMITS = env_str(
    "NEWSROOM_SHARE_IP_RATE_LIMITS", env_str("NEWSROOM_SHARE_RATE_PER_IP", "5/h,20/d")
)
NEWSROOM_SHARE_SENDER_RATE_LIMITS = env_str(
    "NEWSROOM_SHARE_SENDER_RATE_LIMITS", env_str("NEWSROOM_SHARE_RATE_PER_SENDER", "5/h,20/d")
)
NEWSROOM_SHARE_MAX_RECIPIENTS = env_int("NEWSROOM_SHARE_MAX_RECIPIENTS", 5)
NEWSROOM_SHARE_NOTE_MAX_LENGTH = env_int("NEWSROOM_SHARE_NOTE_MAX_LENGTH", 300)
NEWSROOM_SHARE_DELETE_RECIPIENTS = env_bool("NEWSROOM_SHARE_DELETE_RECIPIENTS", True)

# Periodic jobs, run by `celery -A newsroom beat`. The outbox sends what is due and deletes what
# it no longer needs; the moderators' digest picks up comments held while the last digest was
# fresh; commenters' IP addresses are erased after the retention.
CELERY_BEAT_SCHEDULE = {
    "outbox-send-due": {
        "task": "newsroom.outbox.tasks.send_due_messages",
        "schedule": NEWSROOM_OUTBOX_SWEEP_SECONDS,
    },
    "outbox-purge": {"task": "newsroom.outbox.tasks.purge_old_messages", "schedule": 24 * 3600},
    "comments-moderation-digest": {
        "task": "comments.tasks.send_moderation_digest",
        "schedule": NEWSROOM_COMMENTS_DIGEST_SECONDS,
    },
    "comments-purge-ips": {"task": "comments.tasks.purge_comment_ips", "schedule": 24 * 3600},
    "comments-forget-cluster-keys": {
        "task": "comments.tasks.forget_cluster_keys",
        "schedule": 3600,
    },
    # Nightly, at 02:30 in Asia/Kolkata (CELERY_TIMEZONE is UTC), when the desk is quiet.
    "comments-train-spam-filter": {
        "task": "comments.tasks.train_spam_filter",
        "schedule": crontab(hour=21, minute=0),
    },
}

# Distribution (feeds, sitemaps, structured data): the publication's language as an ISO 639 code
# (Google News wants "en", not "en-gb"; by default LANGUAGE_CODE's) and its logo, a path under
# static/ for JSON-LD.
NEWSROOM_LANGUAGE = env_str("NEWSROOM_LANGUAGE", LANGUAGE_CODE.split("-")[0])
NEWSROOM_PUBLISHER_LOGO = env_str("NEWSROOM_PUBLISHER_LOGO", "img/publisher-logo.png")
