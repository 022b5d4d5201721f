import os
import subprocess
import sys
import threading

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connections
from django.urls import reverse
from kombu.exceptions import OperationalError

from newsroom.celery import app as celery_app
from sharing import tasks
from sharing.models import EmailShare
from tests.factories import make_article
from tests.sharing.conftest import free_port


@pytest.mark.django_db
def test_broker_down_is_logged_and_the_share_stays_queued_for_the_sweep(
    client, share_post, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broker_unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_email_share, "apply_async", broker_unreachable)
    article = make_article()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sharing:email", args=[article.slug]), share_post())

    assert response.status_code == 302  # the reader never sees the broker's trouble
    share = EmailShare.objects.get()
    assert share.status == EmailShare.Status.QUEUED
    assert share.attempts == 0
    assert f"Could not enqueue email share {share.pk}; it stays queued" in caplog.text
    assert list(EmailShare.objects.due().values_list("pk", flat=True)) == [share.pk]


@pytest.mark.django_db
def test_beat_sweep_task_sends_due_shares(mailoutbox):
    article = make_article()
    EmailShare.objects.create(
        article=article,
        sender_name="Priya",
        sender_email="priya@example.net",
        recipients="anil@example.com",
        recipient_count=1,
    )
    assert tasks.send_queued_shares.delay().get() == {
        "due": 1,
        "sent": 1,
        "retry": 0,
        "failed": 0,
        "skipped": 0,
    }
    assert [m.to for m in mailoutbox] == [["anil@example.com"]]


def test_the_sweep_is_scheduled_in_celery_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-queued-shares"]
    assert entry["task"] == tasks.send_queued_shares.name
    assert entry["schedule"] == settings.NEWSROOM_SHARE_SWEEP_SECONDS


@pytest.fixture
def real_celery():
    """Publish to the real Redis broker instead of running tasks in the test process."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()  # nothing left over from an earlier run

    ran = []

    def after_task(task=None, **kwargs):
        in_worker = threading.current_thread() is not threading.main_thread()
        ran.append((task.name, task.request.is_eager, in_worker))
        # The worker thread's own database connection must not outlive the test database.
        if in_worker:
            connections.close_all()

    task_postrun.connect(after_task, weak=False)
    yield ran
    task_postrun.disconnect(after_task)
    celery_app.conf.task_always_eager = eager


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_sends_the_share_through_redis(
    client, share_post, smtp_server, real_celery
):
    smtp_server.start()
    article = make_article(slug="worker-story")
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        response = client.post(reverse("sharing:email", args=[article.slug]), share_post())
        assert response.status_code == 302
        received = smtp_server.wait_for(2, timeout=30)
    assert sorted(m["To"] for m in received) == ["anil@example.com", "meera@example.org"]
    share = EmailShare.objects.get()
    assert share.status == EmailShare.Status.SENT
    assert share.attempts == 1
    # Sent by the worker, through the broker, not run in the test process.
    assert real_celery == [("sharing.tasks.send_email_share", False, True)]


def test_a_real_unreachable_broker_is_caught_quickly(tmp_path):
    """Publish to a Redis port nobody listens on, in a fresh process with a real broker config."""
    script = (
        "import django, time; django.setup();"
        "from newsroom.celery import app; app.conf.task_always_eager = False;"
        "from sharing.tasks import enqueue_email_share;"
        "start = time.monotonic(); enqueue_email_share(41);"
        "print(f'returned after {time.monotonic() - start:.1f} s')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Could not enqueue email share 41; it stays queued" in done.stderr
    assert float(done.stdout.split()[2]) < 5
