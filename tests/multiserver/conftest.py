"""The multi-server stack as a fixture: two gunicorn servers and a Celery worker per test module.

A test module sets STACK_ENV: environment variables (settings) for every process of its stack.
The processes use the database pytest-django created (test_<name>), so the tests must use
`transactional_db`: what they create is committed and the servers see it. They share one Redis
database that is not the test process's own (see stack.stack_redis_url); the site's cache keys
there are cleared before each test.

Email goes to two SMTP servers in this process: the worker's `inbox`, and a `web_inbox` the app
servers are pointed at. Mail sent from a web process would land in the second, never the first.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import redis_is_reachable

from . import stack as stack_module


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "multiserver: starts two app servers and a Celery worker (PostgreSQL + Redis)"
    )


def database_url(settings_dict):
    """Return a postgres:// URL for the test database the servers should use."""
    from urllib.parse import quote

    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture(scope="module")
def smtp_sinks():
    inbox, web_inbox = stack_module.SmtpSink().start(), stack_module.SmtpSink().start()
    yield inbox, web_inbox
    inbox.stop()
    web_inbox.stop()


@pytest.fixture(scope="module")
def stack(request, django_db_setup, smtp_sinks):
    """Start the stack once per module; skip (or fail in CI) without PostgreSQL and Redis."""
    from tests.conftest import skip_or_fail

    if connection.vendor != "postgresql":
        skip_or_fail("postgres", "needs PostgreSQL: set DATABASE_URL=postgres://…")
    if not redis_is_reachable():
        skip_or_fail("redis", "needs Redis: set REDIS_URL to a reachable server")

    inbox, web_inbox = smtp_sinks
    module_env = {k: str(v) for k, v in getattr(request.module, "STACK_ENV", {}).items()}
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-multiserver-"))
    running = stack_module.Stack(
        database_url=database_url(connection.settings_dict),
        redis_url=stack_module.stack_redis_url(settings.REDIS_URL),
        workdir=workdir,
        web_env={**module_env, "EMAIL_PORT": str(web_inbox.port)},
        worker_env={**module_env, "EMAIL_PORT": str(inbox.port)},
    )
    running.inbox, running.web_inbox = inbox, web_inbox
    failed_before = request.session.testsfailed
    try:
        running.start()
        print(f"\n[multiserver] stack up in {running.startup_seconds:.1f} s, logs in {workdir}")
        yield running
    finally:
        running.stop()
    keep = os.environ.get("NEWSROOM_MULTISERVER_KEEP_LOGS", "") in {"1", "true", "yes"}
    if keep or request.session.testsfailed > failed_before:
        print(f"\n[multiserver] logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def servers(stack, transactional_db, request):
    """The two app servers, with an empty site cache and empty inboxes."""
    stack_module.clear_stack_cache(stack.redis_url)
    stack.inbox.clear()
    stack.web_inbox.clear()
    request.node.multiserver_stack = stack  # for the logs in a failure's report
    return stack.servers


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Add the tails of the servers' and the worker's logs to a failed test's report."""
    report = yield
    stack = getattr(item, "multiserver_stack", None)
    if stack is not None and report.failed:
        report.sections.append(("multiserver logs", stack.logs()))
    return report
