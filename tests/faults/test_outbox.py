"""The mail outbox under faults: lost tasks, a long SMTP outage, a database drop (issue 12).

These run in the test process against a real SMTP server on a free port (and, for the drop,
the test's PostgreSQL database); the worker-kill scenario is in test_worker.py.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from articles import workflow
from comments import moderation, tasks
from comments.models import ArticlePolicy
from newsroom.celery import app as celery_app
from newsroom.outbox import delivery
from newsroom.outbox.models import Message
from tests.factories import make_article, make_comment, make_user

from .conftest import report

Status = Message.Status


@pytest.fixture
def people(db, settings):
    settings.NEWSROOM_COMMENTS_MODE = "post"
    for name, group in [("mod1", "Moderators"), ("mod2", "Moderators"), ("desk", "Editors")]:
        make_user(name, groups=[group])
    return make_user("writer", is_staff=True)


def make_every_kind_of_email(client, share_post, writer):
    """Cause one email of each kind the site sends; return the recipients they must reach."""
    article = make_article(headline="Harbour ferry returns")
    expected = []
    for n in range(3):
        recipients = [f"friend{n}a@example.com", f"friend{n}b@example.com"]
        response = client.post(
            reverse("sharing:email", args=[article.slug]),
            share_post(recipients=", ".join(recipients), sender_email=f"p{n}@example.net"),
        )
        assert response.status_code == 302
        expected += recipients
    parent = make_comment(article, notify_replies=True, email="asha@example.org")
    moderation.submit(
        moderation.Submission(
            article=article, name="Ben", email="ben@example.org", body="A reply", parent=parent
        )  # fmt: skip
    )
    expected.append("asha@example.org")
    held_on = make_article(headline="Council budget")
    ArticlePolicy.objects.create(article=held_on, mode=ArticlePolicy.Mode.PRE)
    moderation.submit(
        moderation.Submission(article=held_on, name="Cy", email="cy@example.org", body="Held")
    )
    tasks.send_moderation_digest.run()  # as beat does every interval
    expected += ["mod1@example.org", "mod2@example.org"]
    draft = make_article(headline="Tram line plans", status="draft")
    workflow.queue_review_request(
        workflow.StatusChange.objects.create(
            article=draft, from_status="draft", to_status="in_review", changed_by=writer
        )
    )
    expected.append("desk@example.org")
    return expected


def test_tasks_lost_with_redis_every_email_is_still_delivered_once_by_the_sweep(
    client, share_post, people, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.start()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # published to the broker, never run here
    try:
        with django_capture_on_commit_callbacks(execute=True):
            expected = make_every_kind_of_email(client, share_post, people)
        published = celery_app.control.purge()  # Redis restarts empty: every task is lost
    finally:
        celery_app.conf.task_always_eager = eager
    assert smtp_server.recipients() == []

    first = delivery.send_due()
    second = delivery.send_due()  # the next beat run
    smtp_server.wait_for(len(expected))
    received = Counter(smtp_server.recipients())
    report(
        f"tasks lost with Redis: {len(expected)} emails queued, {published} tasks lost; "
        f"sweep sent {first['sent']}, next sweep {second['sent']}; "
        f"delivered {sum(received.values())} to {len(received)} recipients, "
        f"duplicates {sum(n > 1 for n in received.values())}"
    )
    assert sorted(received) == sorted(expected)
    assert set(received.values()) == {1}
    assert Message.objects.exclude(status=Status.SENT).count() == 0


def test_smtp_down_ten_minutes_every_email_delivered_once_after_it_returns(
    client, share_post, people, smtp_server, django_capture_on_commit_callbacks
):
    # The mail server refuses connections (nothing listens on its port) for ten minutes of a
    # simulated clock; the beat sweep runs every minute throughout.
    with django_capture_on_commit_callbacks(execute=True):
        expected = make_every_kind_of_email(client, share_post, people)
    start = timezone.now()
    failed_attempts = Message.objects.filter(attempts=1).count()  # the tasks' own tries
    minute, back_at, done_at = 0, 10, None
    while minute <= 120:
        if minute == back_at:
            smtp_server.start()
        counts = delivery.send_due(now=start + timedelta(minutes=minute))
        failed_attempts += counts["retry"]
        if not Message.objects.backlog().exists():
            done_at = minute
            break
        minute += 1
    received = Counter(smtp_server.recipients())
    report(
        f"SMTP down 10 min (simulated): {len(expected)} emails, {failed_attempts} failed "
        f"attempts while down, all delivered {done_at - back_at} min after it returned; "
        f"delivered {sum(received.values())}, duplicates "
        f"{duplicates(received)}, given up {Message.objects.filter(status=Status.FAILED).count()}"
    )
    assert done_at is not None
    assert sorted(received) == sorted(expected)
    assert set(received.values()) == {1}
    assert not Message.objects.filter(status=Status.FAILED).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_dropped_between_send_and_record_sends_no_duplicate(
    smtp_server, monkeypatch, django_db_blocker
):
    import psycopg2

    smtp_server.start()
    article = make_article()
    monkeypatch.setattr(delivery, "publish", lambda ids: None)  # this test sends them itself
    ids = delivery.enqueue(
        _email(["anil@example.com", "meera@example.org", "joseph@example.net"]),
        kind="test",
        key=f"drop:{article.pk}",
    )
    settings_dict = connection.settings_dict
    drops = []
    real_record_sent = Message.record_sent

    def drop_then_record(self, token, now=None):
        # The mail server has just said 250; now PostgreSQL drops this worker's connection.
        if not drops:
            backend_pid = connection.cursor().connection.info.backend_pid
            killer = psycopg2.connect(
                dbname=settings_dict["NAME"],
                user=settings_dict["USER"],
                host=settings_dict["HOST"] or "127.0.0.1",
                port=settings_dict["PORT"] or 5432,
            )
            killer.autocommit = True
            killer.cursor().execute("SELECT pg_terminate_backend(%s)", [backend_pid])
            killer.close()
            drops.append(backend_pid)
        return real_record_sent(self, token, now)

    monkeypatch.setattr(Message, "record_sent", drop_then_record)
    statuses = [delivery.send(pk) for pk in ids]
    # Later sweeps, past the claim's expiry, find nothing to send again.
    later = delivery.send_due(now=timezone.now() + timedelta(minutes=5))
    received = Counter(smtp_server.recipients())
    report(
        f"database dropped between send and record: {len(drops)} connection killed, "
        f"statuses {statuses}, later sweep due {later['due']}, delivered "
        f"{sum(received.values())} of {len(ids)}, duplicates {duplicates(received)}"
    )
    assert drops
    assert statuses == [Status.SENT] * 3
    assert later["due"] == 0
    assert set(received.values()) == {1} and len(received) == 3


def duplicates(received):
    return sum(count > 1 for count in received.values())


def _email(to):
    from django.core.mail import EmailMessage

    return EmailMessage(subject="Drop test", body="Body", to=to)
