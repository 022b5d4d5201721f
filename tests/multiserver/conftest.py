"""The multi-server stack as a fixture: two gunicorn servers and a Celery worker per test module.

A test module sets STACK_ENV: environment variables (settings) for every process of its stack.
The processes use the database pytest-django created (test_<name>), so the tests must use
`transactional_db`: what they create is committed and the servers see it. They share one Redis
database that is not the test process's own (see stack.stack_redis_url); the site's cache keys
there are cleared before each test.

Email goes to two SMTP servers in this process: the worker's `inbox`, and a `web_inbox` the app
servers are pointed at. Mail sent from a web process would land in the second, never the first.
"""

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import redis_is_reachable

from . import stack as stack_module


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "multiserver: starts two app servers and a Celery worker (PostgreSQL + Redis)"
    )


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
    redis_url = stack_module.stack_redis_url(settings.REDIS_URL)
    with stack_module.module_stack(
        request, redis_url=redis_url, inbox=inbox, web_inbox=web_inbox, label="multiserver"
    ) as running:
        yield running


@pytest.fixture
def servers(stack, transactional_db, request):
    """The two app servers, with an empty site cache and empty inboxes."""
    return stack_module.ready_servers(stack, request)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    stack_module.add_stack_logs(item, report, "multiserver logs")
    return report
