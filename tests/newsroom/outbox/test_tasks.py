"""The outbox's Celery side: a broker that is down never fails the request nor loses mail."""

import os
import subprocess
import sys
import threading

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.core import mail
from django.db import connections
from django.urls import reverse
from kombu.exceptions import OperationalError

from newsroom.celery import app as celery_app
from newsroom.outbox import delivery, tasks
from newsroom.outbox.models import Message
from tests.factories import make_article
from tests.mail import free_port


@pytest.fixture(autouse=True)
def _broker_breaker():
    delivery.broker.failed = False
    yield
    delivery.broker.failed = False


@pytest.mark.django_db
def test_broker_down_is_logged_and_the_messages_wait_for_the_sweep(
    client, share_post, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    attempts = []

    def broker_unreachable(*args, **kwargs):
        attempts.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_message, "apply_async", broker_unreachable)
    article = make_article()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sharing:email", args=[article.slug]), share_post())
    assert response.status_code == 302  # the reader never sees the broker's trouble
    assert Message.objects.due().count() == 2
    assert "left for the sweep: broker unreachable" in caplog.text
    # The breaker: one failed publish, not one per message.
    assert len(attempts) == 1

    assert tasks.send_due_messages.delay().get()["sent"] == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["anil@example.com", "meera@example.org"]


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
        if in_worker:  # the worker thread's connection must not outlive the test database
            connections.close_all()

    task_postrun.connect(after_task, weak=False)
    yield ran
    task_postrun.disconnect(after_task)
    celery_app.conf.task_always_eager = eager


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_sends_a_share_through_redis(
    client, share_post, smtp_server, real_celery
):
    smtp_server.start()
    article = make_article(slug="worker-story")
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        response = client.post(reverse("sharing:email", args=[article.slug]), share_post())
        assert response.status_code == 302
        received = smtp_server.wait_for(2, timeout=30)
    assert sorted(m["To"] for m in received) == ["anil@example.com", "meera@example.org"]
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.SENT}
    # Sent by the worker, through the broker, not run in the test process.
    assert real_celery == [("newsroom.outbox.tasks.send_message", False, True)] * 2


def test_a_real_unreachable_broker_is_caught_quickly():
    """Publish to a Redis port nobody listens on, in a fresh process with a real broker config."""
    script = (
        "import django, time; django.setup();"
        "from newsroom.celery import app; app.conf.task_always_eager = False;"
        "from newsroom.outbox.delivery import publish;"
        "start = time.monotonic(); publish([41, 42, 43]);"
        "print(f'returned after {time.monotonic() - start:.1f} s')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Outbox message 41 left for the sweep: broker unreachable" in done.stderr
    assert "message 42" not in done.stderr  # the breaker stopped further attempts
    assert float(done.stdout.split()[2]) < 5
