"""Benchmarks for issue 12 (not part of `make test`: `make bench-faults`).

On the fault stack (two gunicorn servers with 2 workers each and a Celery worker, PostgreSQL,
a redis-server of its own), from 127.0.0.1, one request at a time:
- reader p50 of an article page with 50 comments: page-cache hit with Redis up; an uncached
  render (an unknown query parameter: rendered, never stored); and with Redis killed (bypass);
- p50 of a comment POST, top-level and as a reply whose author gets an email (one outbox row
  and one task more), and of the article row lock the duplicate check takes;
- outbox throughput: 300 messages sent by `send_due()` over one SMTP connection to a local
  catcher, in messages per second.
Writes var/bench/faults.json and prints the figures.
"""

import json
import statistics
import time
import uuid
from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from django.db import connection, transaction

from articles.models import Article
from comments.models import Comment
from newsroom.outbox import delivery
from tests.factories import make_article, make_comment
from tests.mail import SmtpServer
from tests.multiserver.stack import Browser, comment_values, find_form

pytestmark = [pytest.mark.postgres]

STACK_ENV = {
    "NEWSROOM_COMMENTS_RATE_LIMITS": "1000000/m",
    "NEWSROOM_COMMENTS_MODE": "post",
    "NEWSROOM_CACHE_RETRY_SECONDS": "5",
}
RESULTS = Path(__file__).resolve().parents[2] / "var" / "bench" / "faults.json"


def p50(seconds):
    return round(statistics.median(seconds) * 1000, 1)


def timed_gets(servers, path, count):
    times, sources = [], set()
    for n in range(count):
        response = Browser().get(servers[n % 2], path(n))
        assert response.status == 200
        times.append(response.seconds)
        sources.add(response.headers.get("x-page-cache"))
    return times, sources


def timed_posts(servers, article, count, *, parent=None):
    times = []
    for n in range(count):
        browser = Browser(ip=f"203.0.113.{n % 200 + 1}")
        page = browser.get(servers[n % 2], article.get_absolute_url())
        action, fields = find_form(page.body, "body")
        browser.stamp(servers[n % 2], fields)
        values = comment_values("Bench", f"b{n}@example.org", f"Bench comment {uuid.uuid4()}")
        if parent is not None:
            values["parent"] = str(parent.pk)
        posted = browser.post(servers[n % 2], action, {**fields, **values})
        assert posted.status == 302, posted.body[:300]
        times.append(posted.seconds)
    return times


def test_bench_faults(servers, fault_stack, redis_server, settings):
    article = make_article(headline="Benchmark article")
    for n in range(50):
        make_comment(article, body=f"Comment number {n} on the benchmark article.")
    path = article.get_absolute_url()
    Browser().get(servers[0], path)

    results = {}
    hit, sources = timed_gets(servers, lambda n: path, 200)
    assert sources == {"hit"}, sources
    uncached, _ = timed_gets(servers, lambda n: f"{path}?bench={n}", 100)
    redis_server.kill()
    time.sleep(0.5)
    down, sources = timed_gets(servers, lambda n: path, 200)
    assert sources == {"bypass"}, sources
    redis_server.start()
    time.sleep(6)
    results["reader_p50_ms"] = {
        "redis_up_cache_hit": p50(hit),
        "uncached_render": p50(uncached),
        "redis_down_bypass": p50(down),
        "down_vs_uncached": round(p50(down) / p50(uncached), 2),
    }

    parent = make_comment(article, notify_replies=True, email="parent@example.org")
    top = timed_posts(servers, article, 40)
    replies = timed_posts(servers, article, 40, parent=parent)
    locks = []
    for _ in range(200):
        with transaction.atomic():
            started = time.perf_counter()
            Article.objects.select_for_update(no_key=True).filter(pk=article.pk).first()
            locks.append(time.perf_counter() - started)
    results["comment_post_p50_ms"] = {
        "top_level": p50(top),
        "reply_with_email_queued": p50(replies),
        "article_row_lock": round(statistics.median(locks) * 1000, 3),
    }
    assert Comment.objects.filter(parent=parent).count() == 40

    smtp = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    original_publish = delivery.publish
    delivery.publish = lambda ids: None  # sent below, by the sweep
    try:
        started = time.perf_counter()
        for n in range(300):
            delivery.enqueue(
                EmailMessage(subject=f"Bench {n}", body="x" * 2000, to=[f"r{n}@example.org"]),
                kind="bench",
                key=f"bench:{n}",
            )
        enqueue_seconds = time.perf_counter() - started
        started = time.perf_counter()
        counts = delivery.send_due()
        send_seconds = time.perf_counter() - started
    finally:
        delivery.publish = original_publish
        smtp.stop()
    assert counts["sent"] == 300
    results["outbox"] = {
        "messages": 300,
        "enqueue_ms_each": round(enqueue_seconds / 300 * 1000, 2),
        "send_due_messages_per_s": round(300 / send_seconds, 1),
    }
    results["database"] = connection.vendor
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    print("\n[bench-faults]", json.dumps(results, indent=2))
