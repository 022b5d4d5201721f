"""The database under faults: down (a proxy cuts it), and races between writers (issue 12).

These run in the test process against the test's PostgreSQL database, each reader or writer a
thread with its own connection, as gunicorn's workers would be.
"""

import html
import threading
import time
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from comments.models import Comment
from newsroom.spamtraps import sign_render_time
from sharing.models import EmailShare
from tests.factories import make_article

from .conftest import report
from .services import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _comments(settings):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    settings.NEWSROOM_COMMENTS_MODE = "post"
    settings.NEWSROOM_COMMENTS_RATE_LIMITS = "1000/m"
    settings.NEWSROOM_SHARE_IP_RATE_LIMITS = "1000/m"
    settings.NEWSROOM_SHARE_SENDER_RATE_LIMITS = "1000/m"


@pytest.fixture
def database_proxy(transactional_db):
    """Route this process's database connection through a proxy the test can cut."""
    settings_dict = connection.settings_dict
    proxy = TcpProxy(settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432).start()
    original = settings_dict["HOST"], settings_dict["PORT"]
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", proxy.port
    yield proxy
    proxy.restore()
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = original
    proxy.stop()


def comment_form(**overrides):
    return {
        "name": "Asha Rao",
        "email": "asha@example.org",
        "body": "A comment typed while the database was down.",
        "rendered_at": sign_render_time(time.time() - 20),
        "website": "",
        **overrides,
    }


def test_database_down_answers_503_with_retry_after_and_keeps_the_text(database_proxy, share_post):
    article = make_article(headline="Harbour ferry returns")
    client = Client()
    assert client.get(article.get_absolute_url()).status_code == 200

    database_proxy.cut()
    comment = client.post(f"/comments/post/{article.pk}/", comment_form())
    share = client.post(f"/share/{article.slug}/", share_post(note="Read this, it is good."))
    front = client.get("/")
    answers = Counter([comment.status_code, share.status_code, front.status_code])

    database_proxy.restore()
    connection.close()  # what the next request's connection health check does in production
    again = Client().post(f"/comments/post/{article.pk}/", comment_form())
    stored = Comment.objects.filter(body__startswith="A comment typed").count()
    report(
        f"database down: answers {dict(answers)} (comment POST, share POST, front page), "
        f"Retry-After {comment.get('Retry-After')}; after it returned the kept comment was "
        f"posted again: {again.status_code}, stored {stored}"
    )
    for response in (comment, share):
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        page = response.content.decode()
        assert "We could not save what you sent" in page
        assert '<link rel="stylesheet" href="/static/css/site.css">' in page
    assert front.status_code in (200, 503)  # 200 only from the page cache
    assert html.escape("A comment typed while the database was down.") in (comment.content.decode())
    assert '<textarea class="form-control" id="kept-body" name="body"' in comment.content.decode()
    assert "Read this, it is good." in share.content.decode()
    assert again.status_code == 302 and stored == 1


def run_together(count, work):
    """Run `work(n)` in `count` threads released at the same moment; return their results."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def thread(n):
        try:
            barrier.wait()
            results[n] = work(n)
        finally:
            connection.close()

    threads = [threading.Thread(target=thread, args=(n,)) for n in range(count)]
    for each in threads:
        each.start()
    for each in threads:
        each.join(timeout=60)
    return results


def test_ten_identical_comments_posted_at_once_store_one():
    article = make_article()
    form = comment_form(body="Exactly the same words, ten times at once.")
    statuses = run_together(
        10, lambda n: Client().post(f"/comments/post/{article.pk}/", form).status_code
    )
    stored = Comment.objects.filter(article=article).count()
    report(
        f"10 identical concurrent comment POSTs: answers {dict(Counter(statuses))}, stored {stored}"
    )
    assert stored == 1
    assert sorted(statuses) == [302] + [400] * 9


def wait_for(condition, timeout=20):
    """Wait until writers are in full flow, so that the delete lands among them."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def wait_for_comments(article, count):
    wait_for(lambda: Comment.objects.filter(article_id=article.pk).count() >= count)


def post_until_gone(url, form):
    """Post comments (each different) until the article is gone; return every answer."""
    client, answers = Client(), []
    for number in range(200):
        status = client.post(url, form(number)).status_code
        answers.append(status)
        if status != 302:
            break
    return answers


def test_comments_racing_an_article_delete_never_get_a_500():
    article = make_article()
    url = f"/comments/post/{article.pk}/"

    def work(n):
        if n == 0:
            wait_for_comments(article, 3)
            article.delete()
            return ["deleted"]
        return post_until_gone(url, lambda i: comment_form(body=f"Racing the delete, {n}-{i}"))

    answers = Counter(answer for result in run_together(6, work) for answer in result)
    report(
        f"comments racing an article delete: answers {dict(answers)}, comments left "
        f"{Comment.objects.filter(article_id=article.pk).count()}"
    )
    assert answers["deleted"] == 1
    assert answers[302] > 0, "no comment arrived before the delete: not a race"
    assert set(answers) <= {"deleted", 302, 404, 410}
    assert not Comment.objects.filter(article_id=article.pk).exists()


def test_a_share_racing_an_article_delete_is_kept_or_answered_404(share_post):
    article = make_article()
    url = f"/share/{article.slug}/"

    def work(n):
        if n == 0:
            wait_for(lambda: EmailShare.objects.filter(article=article).count() >= 2)
            article.delete()
            return ["deleted"]
        client, answers = Client(REMOTE_ADDR=f"10.0.0.{n}"), []
        for number in range(100):
            data = share_post(sender_email=f"p{n}-{number}@example.net")
            answers.append(client.post(url, data).status_code)
            if answers[-1] != 302:
                break
        return answers

    answers = Counter(answer for result in run_together(4, work) for answer in result)
    kept = EmailShare.objects.filter(article__isnull=True).count()
    report(f"shares racing an article delete: answers {dict(answers)}, shares kept {kept}")
    assert set(answers) <= {"deleted", 302, 404, 410}
    assert kept == answers[302]  # every share the reader was told about is on record
