"""Measure the site under load and compare each page with the framework's floor.

Run from the repository root with `make bench` (or `.venv/bin/python -m bench.run`). It needs
PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/newsroom_bench; that
database is dropped and recreated on every run), Redis (BENCH_REDIS_URL, default
redis://127.0.0.1:6379/5; that one database number is flushed at the start and the end of every
run) and wrk (`apt-get install -y wrk`). BENCH_SECONDS (default 10) sets the seconds of load per
page; a run with 1 or 2 is a quick check that the benchmark works, not a measurement.

With BENCH_SPAM_MODEL=1 a spam filter model trained on tests/data/sms_spam_collection.csv is
stored before the servers start, so every comment POST is scored; without it none is (compare
the two runs' comment POST rows). The seeded queue comments carry spam scores either way.

One run, about four minutes (the load itself: 11 × 12 s):
1. builds the database: migrations, load_demo with 200 approved comments (a third of them
   replies) on one article, 100,000 more comments across the other articles (one in five held
   for moderation), a superuser, and collectstatic into a temporary STATIC_ROOT; then VACUUM
   ANALYZE, as autovacuum would have done on a live site;
2. serves bench.settings (the project's settings plus a /bench/floor/<size>/ constant page, and a
   middleware that retires a page-cache scope named in an X-Bench-Retire header, to measure
   misses under load) with gunicorn, debug off, 2 sync workers, on a free port of 127.0.0.1 only,
   with Redis as the cache (page cache, rate limits) and Celery broker, as in production. Two
   servers, one after the other: the first with the page cache off
   (NEWSROOM_PAGE_CACHE_SECONDS=0), the second with the project's default page cache, and then
   Varnish (varnish/newsroom.vcl, Debian's varnishd) in front of the second;
3. runs wrk (1 thread, 10 s after a 2 s warm-up). Reader pages get 8 connections: with the page
   cache off the article page; with it on the floor page sized like the article page, the
   article page as a miss (its comments' generation retired before each request: what a new
   comment does), as a hit, as a hit with gzip, through Varnish, and the home page as a miss
   (the site generation retired: what an edit does) and a hit. Comment POSTs and the moderation
   queue get 2 connections: posting and moderating are a few people at a time, and 8
   connections on 2 sync workers would measure the wait in gunicorn's queue (8/2 = 4 requests
   deep), not the request. The comment POSTs count the responses by status code: accepted
   comments answer 302;
4. reads the CPU time (user + system, from /proc) of gunicorn's master and workers (and
   varnishd's) before and after each load, and reports it per request: on a shared machine it is
   steadier than requests per second;
5. counts SQL queries per request in this process with the test client against the same
   database, cache and settings (the cached pages on their second request, a cache hit);
6. prints one table with issue 6's and issue 14's targets marked pass or miss, and writes it as
   JSON to var/bench/latest.json.

The comment rate limits are raised for the run (NEWSROOM_COMMENTS_RATE_LIMITS=1000000/s): every
POST comes from 127.0.0.1, and the bench measures the code path, not the 429.

gunicorn is stopped when the run ends, fails or is interrupted. Not part of `make test`.
"""

import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "var" / "bench" / "latest.json"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
ARTICLE = "ministers-open-bilateral-dialogue"
ARTICLE_COMMENTS = 200
QUEUE_COMMENTS = 100_000
# Seconds of load per page (BENCH_SECONDS, default 10): a smaller number is a smoke run that
# checks the benchmark still works, not a measurement.
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WRK = ["-t1", "-c8", f"-d{SECONDS}s", "--timeout", "10s", "--latency"]  # readers' pages
WRK_FEW = ["-t1", "-c2", f"-d{SECONDS}s", "--timeout", "10s", "--latency"]  # POSTs, moderators
WARM_UP = ["-t1", "-c2", f"-d{min(SECONDS, 2)}s", "--timeout", "10s"]
HOST = "127.0.0.1"


@dataclass
class Row:
    page: str
    path: str = ""
    requests_per_s: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    bytes_per_response: int | None = None
    cpu_ms: float | None = None
    sql_queries: int | None = None
    ratio_to_floor: float | None = None
    cpu_ratio_to_floor: float | None = None
    targets: list = field(default_factory=list)
    note: str = ""


# --- Setting up -----------------------------------------------------------------------------


def require_wrk():
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("make bench needs wrk, the HTTP load generator: apt-get install -y wrk")
    return wrk


def bench_environment(static_root):
    """Return the environment shared by the setup commands, gunicorn and this process."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "ERROR",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DATABASE_URL": DATABASE_URL,
        # The shared cache (pages, rate limits) and the Celery broker, as in production.
        "REDIS_URL": REDIS_URL,
        # Every POST comes from 127.0.0.1: limits this high measure the code path, not the 429.
        "NEWSROOM_COMMENTS_RATE_LIMITS": "1000000/s",
        # The demo article is from 2023: keep its comments open, as on a story that goes viral.
        "NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS": "0",
        "BENCH_STATIC_ROOT": str(static_root),
    }
    # The project's default page cache, unless a server is started with it off.
    env.pop("NEWSROOM_PAGE_CACHE_SECONDS", None)
    return env


def flush_redis():
    """Empty the benchmark's Redis database (that number only); stop the run if unreachable."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        sys.exit(f"make bench needs Redis at {REDIS_URL} (BENCH_REDIS_URL): {error}")


def recreate_database():
    import psycopg2
    from psycopg2 import sql

    url = urlsplit(DATABASE_URL)
    name = url.path.lstrip("/")
    maintenance = urlunsplit(url._replace(path="/postgres"))
    connection = psycopg2.connect(maintenance)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


def manage(env, *args, debug=False):
    """Run a management command against the benchmark database; stop the run if it fails."""
    command = [sys.executable, "manage.py", *args]
    env = {**env, "DJANGO_DEBUG": "1"} if debug else env
    done = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def step(message):
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# --- Serving --------------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(env, log_path):
    """Serve the project on a free port of 127.0.0.1; yield the port; always stop the server."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "newsroom.wsgi",
        f"--bind={HOST}:{port}",
        "--workers=2",
        "--worker-class=sync",
    ]
    with open(log_path, "w") as log:
        # Its own process group, so stopping it reaches the workers too.
        server = subprocess.Popen(  # noqa: S603
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        wait_for(server, port, log_path)
        yield Server(port, [server.pid])
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@dataclass
class Server:
    """Where a server listens, and the process groups whose CPU time its requests cost."""

    port: int
    groups: list


def cpu_seconds(groups):
    """Return the CPU time (user + system) used so far by every process in the groups."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, pgrp, ..., utime (12th), stime (13th).
        if int(fields[2]) in groups:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


@contextmanager
def varnishd(backend_port, workdir):
    """Serve varnish/newsroom.vcl (its backend moved to `backend_port`) on a free port."""
    executable = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin")
    if executable is None:
        sys.exit("make bench needs Varnish: apt-get install -y varnish")
    vcl = Path(workdir) / "newsroom.vcl"
    shipped = (BASE_DIR / "varnish" / "newsroom.vcl").read_text()
    vcl.write_text(shipped.replace('.port = "8000";', f'.port = "{backend_port}";'))
    port = free_port()
    command = [executable, "-F", "-j", "none", "-n", str(Path(workdir) / "varnish-state")]
    command += ["-a", f"{HOST}:{port}", "-T", f"{HOST}:0", "-f", str(vcl), "-s", "malloc,256m"]
    with open(Path(workdir) / "varnishd.log", "w") as log:
        process = subprocess.Popen(  # noqa: S603
            command, stdout=log, stderr=log, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                sys.exit(f"varnishd exited:\n{(Path(workdir) / 'varnishd.log').read_text()}")
            try:
                if fetch(port, "GET", "/bench/floor/1/").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit("varnishd did not answer within 30 s")
            time.sleep(0.2)
        yield Server(port, [process.pid])
    finally:
        process.terminate()
        process.wait(timeout=15)


def wait_for(server, port, log_path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited at start:\n{Path(log_path).read_text()}")
        try:
            if fetch(port, "GET", "/bench/floor/1/").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"gunicorn did not answer within {timeout} s:\n{Path(log_path).read_text()}")


@dataclass
class Response:
    status: int
    cookies: SimpleCookie
    body: bytes


def fetch(port, method, path, *, body=None, headers=None):
    """Make one request without following redirects."""
    connection = HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        return Response(response.status, cookies, response.read())
    finally:
        connection.close()


# --- Measuring ------------------------------------------------------------------------------


def run_wrk(wrk, server, path, *, script="bench/report.lua", args=(), headers=(), load=WRK):
    """Warm up, then load one URL; return wrk's figures as a dict, with the server's CPU time."""
    url = f"http://{HOST}:{server.port}{path}"
    header_args = [part for header in headers for part in ("-H", header)]
    subprocess.run(  # noqa: S603
        [wrk, *WARM_UP, *header_args, "-s", script, url, *args],
        cwd=BASE_DIR,
        capture_output=True,
        check=True,
        timeout=60,
    )
    cpu_before = cpu_seconds(server.groups)
    done = subprocess.run(  # noqa: S603
        [wrk, *load, *header_args, "-s", script, url, *args],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    cpu = cpu_seconds(server.groups) - cpu_before
    match = re.search(r"^BENCH-RESULT (\{.*\})$", done.stdout, re.MULTILINE)
    if match is None:
        sys.exit(f"wrk printed no result for {path}:\n{done.stdout}{done.stderr}")
    return {**json.loads(match.group(1)), "cpu_s": cpu}


def row_from_wrk(page, path, figures):
    requests = figures["requests"] or 1
    return Row(
        page=page,
        path=path,
        requests_per_s=round(figures["requests"] / (figures["duration_us"] / 1e6), 1),
        p50_ms=round(figures["p50_us"] / 1000, 1),
        p95_ms=round(figures["p95_us"] / 1000, 1),
        p99_ms=round(figures["p99_us"] / 1000, 1),
        bytes_per_response=round(figures["bytes"] / requests),
        cpu_ms=round(figures["cpu_s"] * 1000 / requests, 2),
    )


def count_queries(method, path, *, data=None, session=None, page_cache=True, headers=None):
    """Return the SQL queries of one request, made in-process after a warm-up request.

    With the page cache on, the warm-up request stores the page and the counted one is a hit
    (a miss when `headers` retire its scope, see bench/middleware.py).
    """
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME=HOST)
    if session:
        client.cookies["sessionid"] = session
    send = client.post if method == "POST" else client.get
    overrides = {} if page_cache else {"NEWSROOM_PAGE_CACHE_SECONDS": 0}
    with override_settings(**overrides):
        send(path, data() if data else None)
        with CaptureQueriesContext(connection) as queries:
            response = send(path, data() if data else None, headers=headers)
    if response.status_code >= 400:
        sys.exit(f"{method} {path} answered {response.status_code} in-process")
    return len(queries.captured_queries)


def article_size_and_token(port, path):
    """Fetch the article page once: return its HTML size and the CSRF cookie it sets."""
    page = fetch(port, "GET", path)
    if page.status != 200 or "csrftoken" not in page.cookies:
        sys.exit(f"The article page answered {page.status} without a CSRF cookie.")
    return len(page.body), page.cookies["csrftoken"].value


def check_comment_post(port, path, token, data):
    """Stop the run unless one comment POST is accepted, before wrk sends thousands."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={token}",
    }
    response = fetch(port, "POST", path, body=urlencode(data), headers=headers)
    if response.status != 302:
        sys.exit(f"A probe comment POST answered {response.status}, not a 302 redirect.")


def comment_form(token, rendered_at):
    """Return a callable giving a new valid comment form each time (a new reader's email)."""
    counter = iter(range(1_000_000))

    def form():
        n = next(counter)
        return {
            "csrfmiddlewaretoken": token,
            "rendered_at": rendered_at,
            "website": "",
            "name": "Bench Reader",
            "email": f"probe-{n}-{secrets.token_hex(4)}@bench-post.example",
            "body": f"Probe comment {n}: a reader's view, in plain words.",
        }

    return form


# --- Targets (issues 6 and 14) -------------------------------------------------------------


def check_targets(rows, html_bytes):
    """Mark each row with its targets: (target, True/False/None when not measurable)."""
    by_page = {row.page: row for row in rows}

    def at_least(page, ratio):
        row = by_page[page]
        row.targets.append((f"≥{ratio:.2f}× floor", row.ratio_to_floor >= ratio))

    uncached = by_page["article, page cache off"]
    uncached.targets = [
        ("≤100 KB HTML", html_bytes <= 100_000),
        ("≤6 SQL", uncached.sql_queries <= 6),
    ]
    at_least("article, miss (new comment)", 0.10)
    miss = by_page["article, miss (new comment)"]
    miss.targets.append(("≤6 SQL", miss.sql_queries <= 6))
    at_least("article, hit", 0.90)
    by_page["article, hit"].targets.append(("0 SQL", by_page["article, hit"].sql_queries == 0))
    at_least("article, hit, gzip", 0.90)
    at_least("article, hit, through Varnish", 1.0)
    at_least("home, miss (site change)", 0.15)
    at_least("home, hit", 0.90)
    post = by_page["comment POST"]
    post.targets = [("p95 <50 ms", post.p95_ms < 50)]
    for page in ["moderation queue", "queue by spam score"]:
        by_page[page].targets = [("p95 <100 ms", by_page[page].p95_ms < 100)]


def print_table(rows):
    def number(value, pattern):
        return "n/a" if value is None else format(value, pattern)

    def marks(targets):
        words = {True: "pass", False: "MISS", None: "n/a"}
        return "; ".join(f"{target} {words[ok]}" for target, ok in targets)

    header = (
        "page",
        "req/s",
        "CPU ms/req",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "bytes",
        "SQL",
        "×floor",
        "×floor CPU",
        "target",
    )
    lines = [header]
    for row in rows:
        lines.append(
            (
                row.page,
                number(row.requests_per_s, ",.0f"),
                number(row.cpu_ms, ".2f"),
                number(row.p50_ms, ".1f"),
                number(row.p95_ms, ".1f"),
                number(row.p99_ms, ".1f"),
                number(row.bytes_per_response, ","),
                number(row.sql_queries, "d"),
                number(row.ratio_to_floor, ".3f"),
                number(row.cpu_ratio_to_floor, ".3f"),
                marks(row.targets),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    for line in lines:
        cells = [line[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(line[1:-1], widths[1:], strict=True)]
        print("  ".join([*cells, line[-1]]).rstrip())
    for row in rows:
        if row.note:
            print(f"  {row.page}: {row.note}")


# --- The run --------------------------------------------------------------------------------


def statuses_note(figures):
    """Describe wrk's responses by status code, e.g. "2,310 × 302, 4 × 400"."""
    counts = sorted(figures.get("statuses", {}).items())
    return ", ".join(f"{n:,} × {code}" for code, n in counts) or "no status counts"


@dataclass
class Paths:
    article: str
    post: str
    queue: str
    queue_by_score: str


def bench_paths():
    from django.urls import reverse

    from articles.models import Article

    article = Article.objects.get(slug=ARTICLE)
    queue = reverse("admin:comments_comment_changelist")
    return Paths(
        article=article.get_absolute_url(),
        post=reverse("comments:post", args=[article.pk]),
        queue=queue,
        queue_by_score=f"{queue}?score=top",  # the held ones, highest spam score first
    )


def measure_uncached(wrk, server, paths, *, session, held):
    """With the page cache off: the article page rendered whole, comment POSTs, the queue."""
    from newsroom.spamtraps import sign_render_time

    html_bytes, token = article_size_and_token(server.port, paths.article)
    # Signed as if the form had been shown 10 s ago, so the timing trap lets the posts through.
    rendered_at = sign_render_time(time.time() - 10)
    form = comment_form(token, rendered_at)
    check_comment_post(server.port, paths.post, token, form())

    step(f"Page cache off. Article page: {html_bytes:,} bytes of HTML; wrk {' '.join(WRK)}")
    uncached = row_from_wrk(
        "article, page cache off", paths.article, run_wrk(wrk, server, paths.article)
    )
    uncached.note = (
        f"{html_bytes:,} bytes of HTML, page cache off (NEWSROOM_PAGE_CACHE_SECONDS=0): the whole "
        "page rendered per request; the suite asserts its queries at 5 and 500 comments"
    )

    step(f"Comment POSTs and the moderation queue: wrk {' '.join(WRK_FEW)}")
    figures = run_wrk(
        wrk,
        server,
        paths.post,
        script="bench/post_comment.lua",
        args=[paths.post, token, rendered_at, secrets.token_hex(4)],
        load=WRK_FEW,
    )
    posts = row_from_wrk("comment POST", paths.post, figures)
    posts.note = (
        f"2 connections; responses: {statuses_note(figures)} (302 = accepted; "
        f"{figures['refused']:,} non-2xx/3xx, {figures['socket_errors']:,} socket errors); "
        "each from a new reader, so held (trusted mode); rate limits raised to 1000000/s"
    )

    figures = run_wrk(
        wrk, server, paths.queue, headers=[f"Cookie: sessionid={session}"], load=WRK_FEW
    )
    queue = row_from_wrk("moderation queue", paths.queue, figures)
    queue.note = (
        f"2 connections (moderators are a handful of people); {QUEUE_COMMENTS:,} comments, "
        f"{held:,} held: the first page of held ones; "
        f"{figures['refused']:,} non-2xx/3xx"
    )
    figures = run_wrk(
        wrk, server, paths.queue_by_score, headers=[f"Cookie: sessionid={session}"], load=WRK_FEW
    )
    by_score = row_from_wrk("queue by spam score", paths.queue_by_score, figures)
    by_score.note = (
        f"as the queue, sorted by spam score (every seeded comment has one); "
        f"{figures['refused']:,} non-2xx/3xx"
    )
    return [uncached, posts, queue, by_score], (html_bytes, form)


def retire(scope):
    return [f"X-Bench-Retire: {scope}"]


GZIP = ["Accept-Encoding: gzip"]


def measure_cached(wrk, server, paths, html_bytes):
    """With the project's page cache on (Redis): the floor, misses and hits."""
    floor_path = f"/bench/floor/{html_bytes}/"
    step(f"Page cache on (Redis). wrk {' '.join(WRK)}")
    floor = row_from_wrk("floor", floor_path, run_wrk(wrk, server, floor_path))
    floor.note = "a constant page of the article's size, through the same middleware"
    article_scope = f"article:{ARTICLE}"
    miss = row_from_wrk(
        "article, miss (new comment)",
        paths.article,
        run_wrk(wrk, server, paths.article, headers=retire(article_scope)),
    )
    miss.note = (
        "every request retires the article's generation first, as a new comment does: the "
        "article part comes from its fragment, the thread is rendered (no Accept-Encoding)"
    )
    hit = row_from_wrk("article, hit", paths.article, run_wrk(wrk, server, paths.article))
    hit.note = "from the worker's memory; Redis asked for the two generations"
    hit_gzip = row_from_wrk(
        "article, hit, gzip", paths.article, run_wrk(wrk, server, paths.article, headers=GZIP)
    )
    hit_gzip.note = "Accept-Encoding: gzip; compressed once per worker, when first asked for"
    home_miss = row_from_wrk(
        "home, miss (site change)", "/", run_wrk(wrk, server, "/", headers=retire("site"))
    )
    home_miss.note = "every request retires the site generation first, as an edit does"
    home = row_from_wrk("home, hit", "/", run_wrk(wrk, server, "/"))
    return floor, [miss, hit, hit_gzip, home_miss, home], floor_path


def measure_varnish(wrk, server, paths, scratch):
    with varnishd(server.port, scratch) as front:
        step(f"Varnish in front (varnish/newsroom.vcl). wrk {' '.join(WRK)}")
        both = Server(front.port, [*front.groups, *server.groups])
        row = row_from_wrk(
            "article, hit, through Varnish",
            paths.article,
            run_wrk(wrk, both, paths.article, headers=GZIP),
        )
    row.note = "Accept-Encoding: gzip; CPU is varnishd's and gunicorn's together"
    return row


def count_all_queries(paths, floor_path, form, session):
    step("Counting SQL queries per request in-process")
    retire_article = {"X-Bench-Retire": f"article:{ARTICLE}"}
    return {
        "floor": count_queries("GET", floor_path),
        "article, page cache off": count_queries("GET", paths.article, page_cache=False),
        "article, miss (new comment)": count_queries("GET", paths.article, headers=retire_article),
        "article, hit": count_queries("GET", paths.article),
        "article, hit, gzip": count_queries("GET", paths.article),
        "article, hit, through Varnish": 0,
        "home, miss (site change)": count_queries("GET", "/", headers={"X-Bench-Retire": "site"}),
        "home, hit": count_queries("GET", "/"),
        "comment POST": count_queries("POST", paths.post, data=form),
        "moderation queue": count_queries("GET", paths.queue, session=session),
        "queue by spam score": count_queries("GET", paths.queue_by_score, session=session),
    }


def finish_rows(rows, queries, html_bytes):
    floor = rows[0]
    for row in rows:
        row.sql_queries = queries.get(row.page)
        if row.requests_per_s is not None:
            row.ratio_to_floor = round(row.requests_per_s / floor.requests_per_s, 3)
        if row.cpu_ms:
            row.cpu_ratio_to_floor = round(floor.cpu_ms / row.cpu_ms, 3)
    check_targets(rows, html_bytes)


SERVER = (
    "gunicorn, 2 sync workers, DEBUG off, Redis cache and broker ({redis}); "
    "page cache off for the 'page cache off', comment POST and queue rows, on for the others; "
    "Varnish 7 with varnish/newsroom.vcl in front for the Varnish row"
)


def write_json(rows, html_bytes, started):
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "date": started.isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform()},
        "server": SERVER.format(redis=REDIS_URL),
        "load": {
            "reader pages": "wrk " + " ".join(WRK),
            "comment POST and moderation queue": "wrk " + " ".join(WRK_FEW),
        },
        "article_comments": ARTICLE_COMMENTS,
        "queue_comments": QUEUE_COMMENTS,
        "article_html_bytes": html_bytes,
        "rows": [
            {**asdict(row), "targets": [{"target": t, "pass": ok} for t, ok in row.targets]}
            for row in rows
        ],
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")


def main():
    # A plain `kill` should still run the finally blocks that stop gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("Benchmark stopped."))
    started = datetime.now(UTC)
    wrk = require_wrk()
    with tempfile.TemporaryDirectory(prefix="newsroom-bench-") as scratch:
        env = bench_environment(Path(scratch) / "static")
        step(f"Recreating {DATABASE_URL}; flushing {REDIS_URL}")
        flush_redis()
        recreate_database()
        manage(env, "migrate", "--no-input")
        step(f"Loading demo content and {ARTICLE_COMMENTS} comments on {ARTICLE}")
        manage(
            env,
            "load_demo",
            "--no-accounts",
            f"--comments={ARTICLE_COMMENTS}",
            f"--article={ARTICLE}",
            debug=True,
        )
        manage(env, "collectstatic", "--no-input", "--verbosity=0")

        os.environ.update(env)
        import django

        django.setup()
        from articles.models import Article
        from bench import seed

        step(f"Adding {QUEUE_COMMENTS:,} comments to the moderation queue")
        held = seed.fill_moderation_queue(
            QUEUE_COMMENTS, keep_clear=Article.objects.get(slug=ARTICLE)
        )
        if os.environ.get("BENCH_SPAM_MODEL"):
            step("Storing a spam filter model trained on the SMS corpus: POSTs are scored")
            seed.store_spam_model()
        seed.vacuum_analyze()
        step(f"{held:,} of them held; starting gunicorn with the page cache off")
        session = seed.moderator_session_cookie()
        paths = bench_paths()
        try:
            uncached_env = {**env, "NEWSROOM_PAGE_CACHE_SECONDS": "0"}
            with gunicorn(uncached_env, Path(scratch) / "gunicorn-uncached.log") as server:
                uncached_rows, (html_bytes, form) = measure_uncached(
                    wrk, server, paths, session=session, held=held
                )
            step("Starting gunicorn with the page cache on")
            with gunicorn(env, Path(scratch) / "gunicorn-cached.log") as server:
                floor, cached_rows, floor_path = measure_cached(wrk, server, paths, html_bytes)
                varnish_row = measure_varnish(wrk, server, paths, scratch)
            rows = [floor, uncached_rows[0], *cached_rows[:3], varnish_row, *cached_rows[3:]]
            rows += uncached_rows[1:]
            finish_rows(rows, count_all_queries(paths, floor_path, form, session), html_bytes)
        finally:
            flush_redis()

    print()
    print(
        f"Newsroom benchmark, {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"gunicorn 2 sync workers, Redis; wrk {' '.join(WRK)} for reader pages, "
        f"{' '.join(WRK_FEW)} for comment POSTs and the moderation queue"
    )
    print_table(rows)
    write_json(rows, html_bytes, started)
    print(f"\nWritten to {RESULTS.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
