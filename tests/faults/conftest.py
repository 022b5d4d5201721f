"""Fault tests: the multi-server stack (tests/multiserver) on services these tests own.

Each module gets two gunicorn servers and a Celery worker on PostgreSQL, with its own
redis-server and SMTP catchers on free ports, so killing or pausing them never touches the
machine's shared Redis or another test run. Like the multiserver tests, they need PostgreSQL
and run in CI's PostgreSQL pass; they print their counts (see `pytest -s` or the -rA summary).
"""

import shutil
import tempfile
from pathlib import Path

import pytest
from django.db import connection

from tests.multiserver import stack as stack_module
from tests.multiserver.conftest import database_url

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
    module_env = {k: str(v) for k, v in getattr(request.module, "STACK_ENV", {}).items()}
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-faults-"))
    running = stack_module.Stack(
        database_url=database_url(connection.settings_dict),
        redis_url=redis_server.url,
        workdir=workdir,
        web_env={**module_env, "EMAIL_PORT": str(web_inbox.port)},
        worker_env={**module_env, "EMAIL_PORT": str(inbox.port)},
    )
    running.inbox, running.web_inbox = inbox, web_inbox
    failed_before = request.session.testsfailed
    try:
        running.start()
        yield running
    finally:
        running.stop()
        inbox.stop()
        web_inbox.stop()
    if request.session.testsfailed > failed_before:
        print(f"\n[faults] logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def servers(fault_stack, transactional_db, request):
    stack_module.clear_stack_cache(fault_stack.redis_url)
    fault_stack.inbox.clear()
    fault_stack.web_inbox.clear()
    request.node.multiserver_stack = fault_stack  # logs in a failure's report
    return fault_stack.servers


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    stack = getattr(item, "multiserver_stack", None)
    if stack is not None and report.failed:
        report.sections.append(("fault stack logs", stack.logs()))
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
