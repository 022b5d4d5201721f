"""The site on two app servers sharing PostgreSQL and Redis, with a Celery worker (issue 6, item 4).

Each test talks to server A and server B through `Browser`, which behaves like a reader's browser
behind our TLS proxy and load balancer. Everything they share goes through PostgreSQL and Redis:
nothing one server remembers in its own memory may matter to the other.
"""

import itertools
import re
import time
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from comments.models import ArticlePolicy, Comment
from newsroom.outbox.models import Message
from sharing.models import EmailShare
from tests.factories import make_article

from .stack import Browser, comment_values

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.multiserver]

RATE_LIMIT = 3
STACK_ENV = {
    # Per reader (IP address, and email address): RATE_LIMIT comments a day. A day, so that the
    # window cannot roll over in the middle of the test.
    "NEWSROOM_COMMENTS_RATE_LIMITS": f"{RATE_LIMIT}/d",
    "NEWSROOM_COMMENTS_MODE": "trusted",
}

_addresses = itertools.count(10)


def new_reader():
    """A browser with an address of its own, so rate limits never carry over between tests."""
    return Browser(ip=f"203.0.113.{next(_addresses)}")


def post_comment(browser, server, article, body, *, email=None):
    email = email or f"reader-{uuid.uuid4().hex[:8]}@example.org"
    return browser.submit(
        server, article.get_absolute_url(), "body", comment_values("Asha Reader", email, body)
    )


def pre_moderated_article():
    article = make_article()
    ArticlePolicy.objects.create(article=article, mode=ArticlePolicy.Mode.PRE)
    return article


def test_a_rate_limit_counted_on_one_server_holds_on_the_other(servers):
    server_a, server_b = servers
    article = make_article()
    reader = new_reader()
    # Stay clear of the day's window boundary (UTC midnight), where every counter restarts.
    if time.time() % 86400 > 86400 - 30:
        time.sleep(86400 - time.time() % 86400 + 1)

    answers = []
    for number, server in enumerate([server_a, server_b, server_a, server_b, server_a], 1):
        # A new email address each time: only the reader's IP address is counted against them.
        response = post_comment(reader, server, article, f"Comment {number} from one address")
        answers.append((server.name, response.status))

    assert answers == [
        ("server A", 302),
        ("server B", 302),
        ("server A", 302),
        # Server B has accepted one comment itself: it refuses because A's two count too.
        ("server B", 429),
        ("server A", 429),
    ]
    assert Comment.objects.filter(article=article).count() == RATE_LIMIT
    refused = post_comment(reader, server_b, article, "One more try")
    assert refused.status == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "You have posted a lot of comments in a short time" in refused.body
    # Another reader is not affected.
    assert post_comment(new_reader(), server_b, article, "Someone else").status == 302


def test_b_approval_on_one_server_shows_the_comment_on_the_other_at_once(servers):
    server_a, server_b = servers
    article = pre_moderated_article()
    path = article.get_absolute_url()
    body = f"Held until a moderator reads it {uuid.uuid4().hex[:8]}"

    posted = post_comment(new_reader(), server_a, article, body)
    assert posted.status == 302
    comment = Comment.objects.get(article=article)
    assert comment.status == Comment.Status.HELD

    # Anonymous readers on B: the page is rendered once, then served from the shared cache.
    first = Browser().get(server_b, path)
    second = Browser().get(server_b, path)
    assert first.status == second.status == 200
    assert body not in first.body and body not in second.body
    assert second.headers.get("x-page-cache") == "hit", "B should serve the cached page"

    moderator = Browser(ip="192.0.2.50")
    login_as_superuser(moderator, server_a)
    queue = "/admin/comments/comment/"
    approved = moderator.submit(
        server_a,
        queue,
        "_selected_action",
        {"action": "approve", "_selected_action": str(comment.pk), "index": "0"},
    )
    assert approved.status == 302, approved.body[:2000]
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED

    # The very next anonymous request on B shows it: A's approval retired B's cached page.
    after = Browser().get(server_b, path)
    assert after.status == 200
    assert body in after.body
    assert Browser().get(server_a, path).body.count(body) == 1


def test_c_session_and_pending_notice_follow_the_reader_to_the_other_server(servers):
    server_a, server_b = servers
    article = pre_moderated_article()
    path = article.get_absolute_url()
    body = f"My first comment here {uuid.uuid4().hex[:8]}"

    reader = new_reader()
    posted = post_comment(reader, server_a, article, body)
    assert posted.status == 302
    comment = Comment.objects.get(article=article)
    assert comment.status == Comment.Status.HELD
    assert posted.location.endswith(f"{path}#comment-{comment.pk}")
    assert "sessionid" in reader.cookies

    on_b = reader.get(server_b, path)
    assert on_b.status == 200
    assert "Your comment is awaiting moderation." in on_b.body
    assert body in on_b.body
    assert f'id="comment-{comment.pk}"' in on_b.body
    assert "x-page-cache" not in on_b.headers  # a personal page, never from the shared cache
    assert "private" in on_b.headers.get("cache-control", "")

    # Someone else on either server sees neither the comment nor the notice, even from the cache.
    for server in (server_b, server_b, server_a):
        stranger = Browser().get(server, path)
        assert stranger.status == 200
        assert body not in stranger.body
        assert "awaiting moderation" not in stranger.body

    # And the reader still sees it back on A.
    assert body in reader.get(server_a, path).body


def test_d_shares_are_emailed_once_by_the_worker_not_the_web_servers(servers, stack):
    server_a, server_b = servers
    article = make_article(headline="Ferry timetable changes from Monday")

    sent = []
    for server, recipients in [
        (server_a, ["anil@example.com", "meera@example.org"]),
        (server_b, ["joseph@example.net"]),
    ]:
        response = new_reader().submit(
            server,
            f"/share/{article.slug}/",
            "sender_email",
            {
                "sender_name": "Priya Raman",
                "sender_email": "priya@example.net",
                "recipients": ", ".join(recipients),
                "note": f"Sent through {server.name}",
                "website": "",
            },
        )
        assert response.status == 302, response.body[:2000]
        assert response.location.endswith(f"/share/{article.slug}/sent/")
        sent += recipients

    received = stack.inbox.wait_for(len(sent), timeout=30)
    assert sorted(r for item in stack.inbox.messages for r in item["envelope_to"]) == sorted(sent)
    # Give a duplicate (a redelivered task, a second sender) time to arrive: none does.
    time.sleep(3)
    assert len(stack.inbox.messages) == len(sent)
    subject = "Priya Raman shared: Ferry timetable changes from Monday"
    assert [item["message"]["Subject"] for item in received] == [subject] * len(sent)
    # The app servers' mail goes to the other inbox: they sent nothing themselves.
    assert stack.web_inbox.messages == []

    shares = EmailShare.objects.filter(article=article)
    assert [share.status for share in shares] == [EmailShare.Status.QUEUED] * 2
    messages = Message.objects.filter(kind="share")
    assert sorted(messages.values_list("status", "attempts")) == [("sent", 1)] * len(sent)
    # The worker ran one send task per message, each once, and it succeeded.
    worker_log = stack.worker.log()
    task = r"Task newsroom\.outbox\.tasks\.send_message\[[\w-]+\]"
    assert len(re.findall(task + " received", worker_log)) == len(sent), stack.worker.tail()
    assert len(re.findall(task + r" succeeded in [\d.]+s: 'sent'", worker_log)) == len(sent)


def login_as_superuser(browser, server):
    """Create a superuser (password hashed as the servers' settings expect) and sign in."""
    password = "Moderate-the-comments-42"
    hasher = PBKDF2PasswordHasher()
    user = get_user_model().objects.create(
        username=f"moderator-{uuid.uuid4().hex[:6]}",
        email="moderator@example.org",
        is_staff=True,
        is_superuser=True,
        password=hasher.encode(password, hasher.salt()),
    )
    response = browser.submit(
        server,
        "/admin/login/?next=/admin/",
        "username",
        {"username": user.username, "password": password, "next": "/admin/"},
    )
    assert response.status == 302, response.body[:2000]
    assert "sessionid" in browser.cookies
    return user
