"""A production-like stack for the multi-server tests, and a small HTTP client to drive it.

The stack is two gunicorn app servers on free ports of 127.0.0.1 and one Celery worker, all
sharing the test database (PostgreSQL) and one Redis database, with debug off and the project's
production settings. Only STATIC_ROOT is changed (collectstatic writes to a temporary folder), by
a two-line settings module written next to it.

Requests go to the servers the way our TLS proxy forwards them: one public host name for every
server, `X-Forwarded-Proto: https`, and the reader's address appended to `X-Forwarded-For`. A
`Browser` keeps its cookies (Secure ones included: the proxy speaks HTTPS to the reader) and
sends them to whichever server it talks to, as a load balancer in front of the servers would.

Every process runs in its own process group and is stopped, with its children, by Stack.stop();
server logs are kept in files and their tails shown when something goes wrong.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from tests.mail import Inbox

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
SITE_HOST = "newsroom.test"  # the public name the proxy forwards for every server
SITE_ORIGIN = f"https://{SITE_HOST}"

SETTINGS_MODULE = "multiserver_settings"
SETTINGS_SOURCE = """\
import os

from newsroom.settings import *  # noqa: F403

STATIC_ROOT = os.environ["MULTISERVER_STATIC_ROOT"]
"""


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def stack_redis_url(test_redis_url):
    """Return the Redis database the stack shares: NEWSROOM_MULTISERVER_REDIS_URL, else the
    database after the test process's own (the one before, for database 15).

    Not the test process's own: its cache.clear() between tests is a FLUSHDB, which would also
    delete the Celery broker's queue bindings from under the running processes. The stack's
    database is emptied (FLUSHDB) when a stack starts: never point this at data you keep.
    """
    explicit = os.environ.get("NEWSROOM_MULTISERVER_REDIS_URL", "").strip()
    if explicit:
        return explicit
    parts = urlsplit(test_redis_url)
    number = int(parts.path.lstrip("/") or 0)
    other = number + 1 if number < 15 else number - 1
    return parts._replace(path=f"/{other}").geturl()


def clear_stack_cache(redis_url):
    """Delete the site's cache keys (pages, generations, rate limits) but not Celery's."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match="newsroom:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    finally:
        client.close()


def flush_stack_redis(redis_url):
    """Empty the stack's own Redis database before any process uses it."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


# --- A stack per test module, as the multiserver and fault tests' fixtures run it -------------


def database_url(settings_dict):
    """Return a postgres:// URL for the test database the servers should use."""
    from urllib.parse import quote

    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


@contextlib.contextmanager
def module_stack(request, *, redis_url, inbox, web_inbox, label):
    """Run a Stack for the requesting test module, with its STACK_ENV in every process.

    The logs are kept (and their folder printed) when one of the module's tests failed, or when
    NEWSROOM_MULTISERVER_KEEP_LOGS is set; `label` names the folder and the printed lines.
    """
    from django.db import connection

    module_env = {k: str(v) for k, v in getattr(request.module, "STACK_ENV", {}).items()}
    workdir = Path(tempfile.mkdtemp(prefix=f"newsroom-{label}-"))
    running = Stack(
        database_url=database_url(connection.settings_dict),
        redis_url=redis_url,
        workdir=workdir,
        web_env={**module_env, "EMAIL_PORT": str(web_inbox.port)},
        worker_env={**module_env, "EMAIL_PORT": str(inbox.port)},
    )
    running.inbox, running.web_inbox = inbox, web_inbox
    failed_before = request.session.testsfailed
    try:
        running.start()
        print(f"\n[{label}] stack up in {running.startup_seconds:.1f} s, logs in {workdir}")
        yield running
    finally:
        running.stop()
    keep = os.environ.get("NEWSROOM_MULTISERVER_KEEP_LOGS", "") in {"1", "true", "yes"}
    if keep or request.session.testsfailed > failed_before:
        print(f"\n[{label}] logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def ready_servers(stack, request):
    """Return the stack's app servers with an empty site cache and empty inboxes; a failure's
    report then shows the stack's logs (see add_stack_logs)."""
    clear_stack_cache(stack.redis_url)
    stack.inbox.clear()
    stack.web_inbox.clear()
    request.node.multiserver_stack = stack
    return stack.servers


def add_stack_logs(item, report, title):
    """Add the tails of the servers' and the worker's logs to a failed test's report."""
    stack = getattr(item, "multiserver_stack", None)
    if stack is not None and report.failed:
        report.sections.append((title, stack.logs()))


# --- Email: a real SMTP server in this process --------------------------------------------------


class SmtpSink:
    """An aiosmtpd server on a free local port keeping every message it accepts."""

    def __init__(self):
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # one line per SMTP command
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname=HOST, port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    @property
    def messages(self):
        return list(self.inbox.messages)

    def clear(self):
        self.inbox.messages.clear()

    def wait_for(self, count, timeout=20):
        deadline = time.monotonic() + timeout
        while len(self.inbox.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


# --- Processes ----------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    command: list
    env: dict
    log_path: Path
    port: int | None = None
    popen: subprocess.Popen | None = None

    def start(self):
        with open(self.log_path, "w") as log:
            # Its own process group, so stopping it reaches gunicorn's workers too.
            self.popen = subprocess.Popen(  # noqa: S603
                self.command,
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, lines=40):
        return "\n".join(self.log().splitlines()[-lines:])

    def stop(self):
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait(timeout=10)


@dataclass
class Stack:
    """Two app servers and a Celery worker; see the module docstring."""

    database_url: str
    redis_url: str
    workdir: Path
    web_env: dict = field(default_factory=dict)  # extra environment for the app servers
    worker_env: dict = field(default_factory=dict)  # extra environment for the worker
    web_workers: int = 2
    servers: list = field(default_factory=list)
    worker: Process | None = None

    def base_env(self):
        env = {
            key: value
            for key, value in os.environ.items()
            # Nothing of the test run's own configuration leaks into the servers.
            if not key.startswith(("DJANGO_", "NEWSROOM_", "EMAIL_", "DATABASE_", "REDIS_"))
            and key not in {"DEFAULT_FROM_EMAIL", "PYTEST_CURRENT_TEST"}
        }
        # Article URLs carry the local date: the servers must agree with the test process.
        if "NEWSROOM_TIME_ZONE" in os.environ:
            env["NEWSROOM_TIME_ZONE"] = os.environ["NEWSROOM_TIME_ZONE"]
        env.update(
            {
                "PYTHONPATH": os.pathsep.join([str(self.workdir), str(BASE_DIR)]),
                "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
                "MULTISERVER_STATIC_ROOT": str(self.workdir / "static"),
                "DJANGO_SECRET_KEY": "multiserver-" + secrets.token_urlsafe(40),
                "DJANGO_DEBUG": "0",
                "DJANGO_ALLOWED_HOSTS": f"{SITE_HOST},{HOST},localhost",
                "DJANGO_LOG_LEVEL": "WARNING",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "NEWSROOM_SITE_URL": SITE_ORIGIN,
                "NEWSROOM_SPAM_MIN_SECONDS": "0",
                "EMAIL_HOST": HOST,
                "EMAIL_TIMEOUT": "5",
            }
        )
        return env

    def start(self, timeout=90):
        started = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / f"{SETTINGS_MODULE}.py").write_text(SETTINGS_SOURCE)
        base = self.base_env()
        collect = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
            cwd=BASE_DIR,
            env=base,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if collect.returncode:
            raise RuntimeError(f"collectstatic failed:\n{collect.stdout}{collect.stderr}")
        flush_stack_redis(self.redis_url)

        for name in ("A", "B"):
            port = free_port()
            command = [
                str(BIN / "gunicorn"),
                "newsroom.wsgi",
                f"--workers={self.web_workers}",
                f"--bind={HOST}:{port}",
                "--timeout=60",
                "--no-control-socket",  # the default path is shared by every gunicorn on the host
                "--access-logfile=-",
                "--access-logformat=%(s)s %(m)s %(U)s %(L)s",
            ]
            env = {**base, **self.web_env}
            self.servers.append(
                Process(f"server {name}", command, env, self.workdir / f"server-{name}.log", port)
            )
        self.worker = Process(
            "celery worker",
            [
                str(BIN / "celery"),
                "-A",
                "newsroom",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            {**base, **self.worker_env},
            self.workdir / "worker.log",
        )
        for process in [*self.servers, self.worker]:
            process.start()
        self._wait_until_ready(started + timeout)
        self.startup_seconds = time.monotonic() - started

    def _wait_until_ready(self, deadline):
        waiting = {process.name for process in [*self.servers, self.worker]}
        while waiting and time.monotonic() < deadline:
            for process in [*self.servers, self.worker]:
                if process.name not in waiting:
                    continue
                if not process.alive():
                    raise RuntimeError(f"{process.name} exited at start:\n{process.tail()}")
                if process is self.worker:
                    if re.search(r"celery@\S+ ready\.", process.log()):
                        waiting.discard(process.name)
                    continue
                try:
                    # /admin/login/ needs no data and no static manifest mismatch to answer 200.
                    if Browser().get(process, "/admin/login/", timeout=5).status == 200:
                        waiting.discard(process.name)
                except OSError:
                    pass
            time.sleep(0.2)
        if waiting:
            raise RuntimeError(f"Not ready in time: {sorted(waiting)}\n{self.logs()}")

    def stop(self):
        for process in [*self.servers, self.worker]:
            if process is not None:
                process.stop()

    def logs(self, lines=40):
        processes = [p for p in [*self.servers, self.worker] if p is not None]
        return "\n".join(f"--- {p.name} ({p.log_path}) ---\n{p.tail(lines)}" for p in processes)

    def access_statuses(self):
        """Return {status: count} from both servers' access logs."""
        counts = {}
        for server in self.servers:
            for line in server.log().splitlines():
                match = re.match(r"(\d{3}) (GET|POST|HEAD) /", line)
                if match:
                    counts[int(match.group(1))] = counts.get(int(match.group(1)), 0) + 1
        return counts


# --- A browser: cookies, forms, and the proxy's headers -----------------------------------------


@dataclass
class Response:
    status: int
    headers: dict
    body: str
    server: str
    seconds: float

    @property
    def location(self):
        return self.headers.get("location", "")


class _FormParser(HTMLParser):
    """Collect each <form>'s action and the values of its named inputs."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}})
        elif tag in ("input", "textarea") and self.forms and attrs.get("name"):
            self.forms[-1]["fields"].setdefault(attrs["name"], attrs.get("value") or "")


def find_form(html, field_name):
    """Return (action, named inputs) of the first form with an input of that name."""
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        if field_name in form["fields"]:
            return form["action"], form["fields"]
    found = [sorted(form["fields"]) for form in parser.forms]
    raise AssertionError(f"No form with a {field_name!r} field (forms: {found})")


class Browser:
    """One reader's browser behind the proxy: a cookie jar, an IP address and a user agent."""

    def __init__(self, ip="198.51.100.1"):
        self.ip = ip
        self.cookies = {}

    def request(self, server, method, path, *, form=None, timeout=30):
        headers = {
            "Host": SITE_HOST,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.ip,
            "User-Agent": "newsroom-multiserver-test",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = SITE_ORIGIN
            headers["Referer"] = SITE_ORIGIN + path
        started = time.monotonic()
        connection = HTTPConnection(HOST, server.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            received = {name.lower(): value for name, value in response.getheaders()}
            self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
        finally:
            connection.close()
        return Response(
            response.status,
            received,
            content.decode("utf-8", "replace"),
            server.name,
            time.monotonic() - started,
        )

    def _keep_cookies(self, set_cookies):
        for header in set_cookies:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                expired = morsel["max-age"] == "0" or "1970" in morsel["expires"]
                if expired or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, server, path, **kwargs):
        return self.request(server, "GET", path, **kwargs)

    def post(self, server, path, form, **kwargs):
        return self.request(server, "POST", path, form=form, **kwargs)

    def submit(self, server, page_path, field_name, values, **kwargs):
        """Load a page, fill in its form that has the field (keeping the hidden values) and
        post it where the form says."""
        page = self.get(server, page_path, **kwargs)
        assert page.status == 200, f"GET {page_path} on {server.name}: {page.status}"
        action, fields = find_form(page.body, field_name)
        self.stamp(server, fields, **kwargs)
        return self.post(server, action or page_path, {**fields, **values}, **kwargs)

    def stamp(self, server, fields, **kwargs):
        """Fill in the timestamp a cached page's form lacks, as static/js/site.js does."""
        if fields.get("rendered_at") == "":
            stamp = self.get(server, "/form-stamp/", **kwargs)
            fields["rendered_at"] = json.loads(stamp.body)["rendered_at"]


def comment_values(name, email, body):
    return {"name": name, "email": email, "body": body, "website": "", "parent": ""}
