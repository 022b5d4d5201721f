"""Shared fixtures, and the rule for tests that need a service this machine may lack.

A test marked `browser`, `postgres` or `redis` is skipped with a one-line reason when the service
is missing, unless NEWSROOM_REQUIRE_<SERVICE>=1 is set (as .ci/run does): then it fails instead,
so CI can never pass by skipping.
"""

import os
import shutil
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler

SCREENSHOT_DIR = Path(__file__).parent / "e2e" / "screenshots"


def _required(service):
    return os.environ.get(f"NEWSROOM_REQUIRE_{service.upper()}", "") in {"1", "true", "yes"}


def skip_or_fail(service, reason):
    if _required(service):
        pytest.fail(f"{reason} (NEWSROOM_REQUIRE_{service.upper()}=1 forbids skipping)")
    pytest.skip(reason)


def find_chromium():
    """Return the path of a system Chromium, or None."""
    candidate = os.environ.get("NEWSROOM_CHROMIUM") or "/usr/bin/chromium"
    if Path(candidate).is_file() and os.access(candidate, os.X_OK):
        return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def redis_is_reachable():
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        skip_or_fail("postgres", "needs PostgreSQL: set DATABASE_URL=postgres://…")
    if item.get_closest_marker("redis") and not redis_is_reachable():
        skip_or_fail("redis", "needs Redis: set REDIS_URL to a reachable server")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache (Redis is shared between test runs) and no kept
    SQL (SQLite gives a rolled-back row's id to the next test's row)."""
    from newsroom import compiledsql
    from newsroom.pagecache import memory

    cache.clear()
    memory.clear()
    compiledsql.forget()
    yield
    cache.clear()
    memory.clear()
    compiledsql.forget()


@pytest.fixture(scope="session")
def browser():
    """A headless system Chromium driven by Playwright (never a downloaded browser)."""
    executable = find_chromium()
    if executable is None:
        skip_or_fail(
            "browser", "needs Chromium: apt-get install chromium, or set NEWSROOM_CHROMIUM"
        )
    # Playwright's sync API runs an event loop in this thread; the ORM calls our tests make
    # around it are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot_dir():
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


@pytest.fixture
def unreachable_cache(settings):
    """Point the default cache at a Redis port nobody listens on (a Redis that is down)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "newsroom.cache.ReusingRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    from newsroom.cache import breaker_for

    return breaker_for(f"redis://127.0.0.1:{port}/0")


@pytest.fixture
def smtp_server(settings):
    """Point Django's SMTP backend at a local aiosmtpd server (stopped; call .start())."""
    from tests.mail import SmtpServer

    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def share_post():
    """Return form data as a person would post it, 20 seconds after the form was shown."""

    def build(**overrides):
        from newsroom.spamtraps import sign_render_time

        data = {
            "sender_name": "Priya Raman",
            "sender_email": "priya@example.net",
            "recipients": "anil@example.com, meera@example.org",
            "note": "Thought you would find this useful.",
            "website": "",
            "rendered_at": sign_render_time(time.time() - 20),
        }
        data.update(overrides)
        return data

    return build


@pytest.fixture
def compiles(monkeypatch):
    """Count the SQL compilations of querysets: the model of each one compiled."""
    counted = []
    real = SQLCompiler.as_sql

    def as_sql(self, *args, **kwargs):
        counted.append(self.query.model)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", as_sql)
    return counted
