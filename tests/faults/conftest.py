"""Fault tests: the multi-server stack (tests/multiserver) on services these tests own.

Each module gets two gunicorn servers and a Celery worker on PostgreSQL, with its own
redis-server and SMTP catchers on free ports, so killing or pausing them never touches the
machine's shared Redis or another test run. Like the multiserver tests, they need PostgreSQL
and run in CI's PostgreSQL pass; they print their counts (see `pytest -s` or the -rA summary).
"""

import pytest
from django.db import connection

from tests.multiserver import stack as stack_module

from .services import RedisServer


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fault_stack(request, django_db_setup, redis_server):
    from tests.conftest import skip_or_fail

    if connection.vendor != "postgresql":
        skip_or_fail("postgres", "needs PostgreSQL: set DATABASE_URL=postgres://…")
    inbox, web_inbox = stack_module.SmtpSink(), stack_module.SmtpSink()
    handler = getattr(request.module, "SMTP_HANDLER", None)  # e.g. a slow mail server
    if handler is not None:
        inbox.inbox = inbox.controller.handler = handler()
    inbox.start(), web_inbox.start()
    try:
        with stack_module.module_stack(
            request, redis_url=redis_server.url, inbox=inbox, web_inbox=web_inbox, label="faults"
        ) as running:
            yield running
    finally:
        inbox.stop()
        web_inbox.stop()


@pytest.fixture
def servers(fault_stack, transactional_db, request):
    return stack_module.ready_servers(fault_stack, request)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    stack_module.add_stack_logs(item, report, "fault stack logs")
    return report


_reports = []


def report(line):
    """Record a scenario's counts; they are printed in the summary at the end of the run."""
    _reports.append(line)


def pytest_terminal_summary(terminalreporter):
    if _reports:
        terminalreporter.section("fault scenarios")
        for line in _reports:
            terminalreporter.write_line(line)
