"""The moderation queue stays fast on a large table: a fixed number of queries, no full COUNT,
and per-status counts that are cached yet exact after every change."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comments import moderation
from comments.admin.counts import STATUS_COUNTS_KEY
from comments.models import Comment, Reason
from tests.factories import make_article, make_articles, make_comment, make_user

pytestmark = pytest.mark.django_db

Status = Comment.Status
CHANGELIST = "/admin/comments/comment/"
# Session, user, the moderator's user and group permissions, the newest comment and decision (the
# status counts' cache version), the capped page count, the page of comments, their reasons;
# plus the status counts when they are not cached.
MAX_QUERIES = 9


@pytest.fixture
def moderator(client):
    user = make_user("mod", groups=["Moderators"], is_staff=True)
    client.force_login(user)
    return user


def held_comments(count, *, articles=3):
    articles = make_articles(articles)
    comments = Comment.objects.bulk_create(
        Comment(
            article=articles[n % len(articles)],
            name=f"Reader {n}",
            email=f"r{n}@example.org",
            body=f"Held comment {n}",
            status=Status.HELD,
        )
        for n in range(count)
    )
    Reason.objects.bulk_create(Reason(comment=c, rule=Reason.Rule.NEW_COMMENTER) for c in comments)
    return comments


def counts_in(html):
    return {label: f"{label}<strong>" in html for _, label in Status.choices}


@pytest.mark.parametrize("query", ["", "?status=all", "?status=spam", "?reason=trusted"])
def test_queue_queries_do_not_grow_with_the_comments(
    client, moderator, django_assert_max_num_queries, query
):
    held_comments(120, articles=7)  # more than two pages, on more articles than one page shows
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(CHANGELIST + query)
    assert response.status_code == 200


def test_the_second_view_reuses_the_status_counts(client, moderator):
    held_comments(3)
    with CaptureQueriesContext(connection) as first:
        client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as second:
        response = client.get(CHANGELIST)
    assert len(second) == len(first) - 1
    assert "Held for moderation<strong>3</strong>" in response.content.decode()
    # No COUNT over the whole table on a cached view; the page count is capped by LIMIT.
    counts = [
        q["sql"] for q in second.captured_queries if q["sql"].upper().startswith("SELECT COUNT(")
    ]
    assert len(counts) == 1 and "LIMIT" in counts[0]


def test_status_counts_are_exact_after_each_kind_of_change(client, moderator):
    comments = held_comments(4)
    assert "Held for moderation<strong>4</strong>" in client.get(CHANGELIST).content.decode()

    # A decision from the queue.
    client.post(CHANGELIST, {"action": "approve", "_selected_action": [comments[0].pk]})
    html = client.get(CHANGELIST).content.decode()
    assert "Held for moderation<strong>3</strong>" in html
    assert "Approved<strong>1</strong>" in html

    # A decision made elsewhere (a task, a command, readers' reports).
    moderation.mark_spam(comments[1], by=None)
    html = client.get(CHANGELIST).content.decode()
    assert "Held for moderation<strong>2</strong>" in html
    assert "Spam<strong>1</strong>" in html

    # A new comment from a reader, and one deleted from the queue.
    make_comment(status=Status.HELD)
    assert "Held for moderation<strong>3</strong>" in client.get(CHANGELIST).content.decode()
    client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [comments[2].pk], "post": "yes"},
    )
    assert not Comment.objects.filter(pk=comments[2].pk).exists()
    assert "Held for moderation<strong>2</strong>" in client.get(CHANGELIST).content.decode()


def test_counts_are_cached_between_views(client, moderator):
    from django.core.cache import cache

    held_comments(2)
    client.get(CHANGELIST)
    version, counts = cache.get(STATUS_COUNTS_KEY)
    # bulk_create skips save(), so these held comments carry no queue-entry time.
    assert counts == {"held": 2, "approved": 0, "rejected": 0, "spam": 0, "oldest_held_at": None}


def test_empty_queue_shows_zero_counts(client, moderator):
    html = client.get(CHANGELIST).content.decode()
    assert all(f"{label}<strong>0</strong>" in html for _, label in Status.choices)


def test_rows_link_their_article_and_show_age_without_extra_queries(client, moderator):
    article = make_article(headline="Harbour plans")
    make_comment(article, status=Status.HELD, body="Too loud")
    html = client.get(CHANGELIST).content.decode()
    assert f'href="?article={article.pk}"' in html and "Harbour plans" in html
    assert "hour ago" in html  # the factory's comments are an hour old: one unit only
