"""Benchmark data beyond load_demo: a full moderation queue and a staff login.

Imported by bench/run.py once Django is set up against the benchmark database.
"""

import secrets
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.utils import timezone

from articles.models import Article
from comments.models import Comment, Reason
from comments.sanitize import render_comment

BATCH = 5000
# One comment in five waits for a moderator, as on a busy day; the rest are decided.
STATUS_CYCLE = [Comment.Status.HELD] + [Comment.Status.APPROVED] * 3 + [Comment.Status.SPAM]


def fill_moderation_queue(count, *, keep_clear, now=None):
    """Add `count` comments across the published articles except `keep_clear`; return held."""
    now = now or timezone.now()
    articles = list(Article.objects.published().exclude(pk=keep_clear.pk))
    body = "A reader's comment for the moderation benchmark, in plain words."
    body_html = render_comment(body)
    held = 0
    for first in range(0, count, BATCH):
        rows = []
        for n in range(first, min(first + BATCH, count)):
            status = STATUS_CYCLE[n % len(STATUS_CYCLE)]
            rows.append(
                Comment(
                    article=articles[n % len(articles)],
                    name=f"Queue Reader {n}",
                    email=f"queue-{n}@bench.example",
                    body=body,
                    body_html=body_html,
                    status=status,
                    ip_address="192.0.2.20",
                    created_at=now - timedelta(seconds=20 * (count - n)),
                    # Scores spread over 0-1 in a fixed order, for the queue sorted by score.
                    spam_score=(n * 7919 % 10_000) / 10_000,
                    spam_model_version=1,
                    # bulk_create skips save(), which dates a held comment's entry to the queue
                    held_at=now - timedelta(seconds=20 * (count - n))
                    if status == Comment.Status.HELD
                    else None,
                )
            )
        created = Comment.objects.bulk_create(rows)
        waiting = [c for c in created if c.status == Comment.Status.HELD]
        Reason.objects.bulk_create(
            Reason(
                comment=c, rule=Reason.Rule.NEW_COMMENTER, detail=f"First comment from {c.email}"
            )
            for c in waiting
        )
        held += len(waiting)
    return held


def vacuum_analyze():
    """Give the planner statistics and the visibility map, as autovacuum would in production.

    Straight after a bulk load PostgreSQL has neither: it estimated 140 held comments out of
    100,000, joined the queue's page the wrong way round (33 ms instead of 0.1 ms) and counted
    with heap visits instead of index-only scans.
    """
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def moderator_session_cookie():
    """Create the benchmark's moderator (a superuser) and return a logged-in session cookie."""
    user = get_user_model().objects.create_superuser(
        "bench", "bench@bench.example", password=secrets.token_urlsafe(24)
    )
    # A newsroom has someone to mail the held-comments digest to; without one, every held
    # comment runs the digest query again (see the README's Benchmark notes).
    user.groups.add(Group.objects.get(name="Moderators"))
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def store_spam_model():
    """Train the spam filter on the SMS corpus and store it as a model in use; return it."""
    import numpy as np

    from comments import spamfilter

    rows = spamfilter.read_csv(
        Path(__file__).resolve().parent.parent / "tests/data/sms_spam_collection.csv"
    )
    X = spamfilter.vectorize([example for example, _ in rows])
    y = np.array([is_spam for _, is_spam in rows], dtype=int)
    fitted = spamfilter.fit(X, y, folds=5, max_fp_rate=0.01)
    return spamfilter.store(fitted, examples=len(y), spam_examples=int(y.sum()))
