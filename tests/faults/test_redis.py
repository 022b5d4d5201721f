"""Redis killed under load: the site keeps answering and loses nothing (issue 12)."""

import itertools
import re
import threading
import time
import uuid
from collections import Counter

import pytest

from comments.models import Comment
from tests.factories import make_article
from tests.multiserver.stack import Browser, comment_values, find_form

from .conftest import report

pytestmark = [pytest.mark.postgres]

STACK_ENV = {
    "NEWSROOM_COMMENTS_RATE_LIMITS": "1000000/m",
    "NEWSROOM_COMMENTS_MODE": "post",  # published at once: each comment retires cached pages
    "NEWSROOM_CACHE_RETRY_SECONDS": "1",
}
MARKER = re.compile(r"fault-\d+-[0-9a-f]{10}")


class Load:
    """Readers and commenters on both servers until stopped; every answer counted."""

    def __init__(self, servers, article):
        self.servers, self.article = servers, article
        self.stop = threading.Event()
        self.commenting = threading.Event()
        self.lock = threading.Lock()
        self.statuses = Counter()
        self.page_cache = Counter()
        self.accepted = {}  # marker -> comment id from the redirect
        self.unanswered = 0
        self._ips = itertools.count(1)

    def _answer(self, response):
        with self.lock:
            self.statuses[response.status] += 1
            if response.status == 200:
                self.page_cache[response.headers.get("x-page-cache", "none")] += 1

    def reader(self):
        browser = Browser(ip=f"198.51.100.{next(self._ips)}")
        for server in itertools.cycle(self.servers):
            if self.stop.is_set():
                return
            try:
                self._answer(browser.get(server, self.article.get_absolute_url(), timeout=15))
            except OSError:
                with self.lock:
                    self.unanswered += 1

    def commenter(self, number):
        browser = Browser(ip=f"203.0.113.{number}")
        for server in itertools.cycle(self.servers):
            if self.stop.is_set():
                return
            if not self.commenting.wait(timeout=0.2):
                continue
            marker = f"fault-{number}-{uuid.uuid4().hex[:10]}"
            try:
                page = browser.get(server, self.article.get_absolute_url(), timeout=15)
                self._answer(page)
                if page.status != 200:
                    continue
                action, fields = find_form(page.body, "body")
                browser.stamp(server, fields, timeout=15)  # what our script does on a cached page
                values = comment_values("Load Tester", f"c{number}@example.org", marker)
                posted = browser.post(server, action, {**fields, **values}, timeout=15)
            except OSError:
                with self.lock:
                    self.unanswered += 1
                continue
            self._answer(posted)
            found = re.search(r"#comment-(\d+)", posted.location)
            if posted.status == 302 and found:
                with self.lock:
                    self.accepted[marker] = int(found.group(1))
            time.sleep(0.1)

    def run(self, readers=6, commenters=3):
        threads = [threading.Thread(target=self.reader) for _ in range(readers)]
        threads += [threading.Thread(target=self.commenter, args=(n,)) for n in range(commenters)]
        for thread in threads:
            thread.start()
        return threads


def test_redis_killed_under_load_no_5xx_nothing_lost_nothing_stale(
    servers, fault_stack, redis_server
):
    article = make_article(headline="Tide tables for the harbour")
    load = Load(servers, article)
    threads = load.run()
    load.commenting.set()
    time.sleep(3)
    # The article page as cached just before the crash: served from Redis on both servers.
    load.commenting.clear()
    time.sleep(1)
    for server in servers * 2:
        Browser().get(server, article.get_absolute_url())
    assert Browser().get(servers[0], article.get_absolute_url()).headers["x-page-cache"] == "hit"
    before = dict(load.page_cache)
    redis_server.kill()
    load.commenting.set()
    time.sleep(8)
    during = Counter(load.page_cache) - Counter(before)
    load.stop.set()
    for thread in threads:
        thread.join(timeout=30)
    # Redis comes back with the pages and generations it held before the outage (its append-only
    # file), none of which saw the comments posted meanwhile.
    redis_server.start()
    time.sleep(float(STACK_ENV["NEWSROOM_CACHE_RETRY_SECONDS"]) + 0.5)

    five_xx = sum(count for status, count in load.statuses.items() if status >= 500)
    stored = Counter(
        MARKER.search(body).group(0)
        for body in Comment.objects.filter(article=article).values_list("body", flat=True)
    )
    accepted_ids = {
        marker: pk
        for marker, pk in Comment.objects.filter(article=article).values_list("body", "pk")
    }
    # Every page of the article, on either server and any worker, counts every comment.
    count = f"Comments ({Comment.objects.filter(article=article).count()})"
    checks = [Browser().get(server, article.get_absolute_url()) for server in servers * 6]
    stale = [page for page in checks if count not in page.body]

    report(
        f"redis killed 8 s under load: {sum(load.statuses.values())} answers "
        f"{dict(sorted(load.statuses.items()))}, {five_xx} 5xx, {load.unanswered} unanswered; "
        f"pages while down {dict(during)}; comments accepted {len(load.accepted)}, "
        f"stored {sum(stored.values())}, duplicates {sum(n > 1 for n in stored.values())}; "
        f"stale pages after restart {len(stale)} of {len(checks)}"
    )
    assert five_xx == 0, load.statuses
    assert load.unanswered == 0
    assert during["bypass"] > 0, f"pages during the outage: {during}"
    assert load.accepted, "no comment was accepted"
    # Every accepted comment is stored once, under the id the reader was sent to; none extra.
    assert set(stored) == set(load.accepted)
    assert all(count == 1 for count in stored.values())
    assert all(accepted_ids[marker] == pk for marker, pk in load.accepted.items())
    assert not stale
    assert fault_stack.access_statuses().get(500, 0) == 0
