"""The site's answers when a part fails: 503 while the database is down, /healthz, error mail."""

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from newsroom.outbox.models import Message
from newsroom.spamtraps import sign_render_time
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def database_down(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")


def test_a_database_outage_answers_503_with_retry_after_in_the_sites_style(client, monkeypatch):
    monkeypatch.setattr("articles.views.HomeView.get_queryset", database_down)
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "Back in a moment" in page and "css/site.css" in page
    assert "5432" not in page


def test_a_comment_that_could_not_be_stored_is_shown_again_with_its_text(monkeypatch, settings):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    article = make_article()
    monkeypatch.setattr("comments.moderation.submit", database_down)
    body = 'My <b>view</b> on "the bridge".'
    response = Client().post(
        f"/comments/post/{article.pk}/",
        {
            "name": "Asha",
            "email": "asha@example.org",
            "body": body,
            "rendered_at": sign_render_time(),
            "website": "",
        },
    )
    page = response.content.decode()
    assert response.status_code == 503
    assert "We could not save what you sent" in page
    assert "My &lt;b&gt;view&lt;/b&gt; on &quot;the bridge&quot;.</textarea>" in page
    assert f'action="/comments/post/{article.pk}/"' in page
    assert 'name="csrfmiddlewaretoken"' in page and 'name="rendered_at"' in page


def test_healthz_reports_every_dependency_as_json_without_secrets(client):
    Message.objects.create(
        kind="test",
        key="health",
        to_address="a@example.org",
        from_email="newsroom@example.org",
        subject="s",
        body="b",
        created_at=timezone.now() - timedelta(minutes=5),
        give_up_at=timezone.now() + timedelta(days=3),
    )
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    report = json.loads(response.content)
    assert report["status"] == "ok"
    assert report["checks"]["database"]["ok"] is True
    assert report["checks"]["cache"]["ok"] is True
    assert report["checks"]["outbox"]["backlog"] == 1
    assert 299 <= report["checks"]["outbox"]["oldest_seconds"] <= 310
    text = response.content.decode()
    for secret in (settings.SECRET_KEY, "postgres", "redis://", "127.0.0.1"):
        assert secret not in text


def test_healthz_is_degraded_without_the_cache_and_503_without_the_database(
    client, unreachable_cache, monkeypatch
):
    report = client.get("/healthz").json()
    assert report["status"] == "degraded" and report["checks"]["cache"] == {"ok": False}
    monkeypatch.setattr("newsroom.views._check_database", database_down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "down"


def test_healthz_is_degraded_when_mail_piles_up(client, settings):
    settings.NEWSROOM_HEALTH_OUTBOX_MAX_AGE = 60
    Message.objects.create(
        kind="test",
        key="old",
        to_address="a@example.org",
        from_email="newsroom@example.org",
        subject="s",
        body="b",
        created_at=timezone.now() - timedelta(hours=2),
        give_up_at=timezone.now() + timedelta(days=1),
    )
    assert client.get("/healthz").json()["status"] == "degraded"


def test_error_reports_are_mailed_to_the_admins_from_the_environment(settings, monkeypatch):
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.ADMINS)",
        ],
        cwd=settings.BASE_DIR,
        env={
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DJANGO_ADMINS": "Desk Chief <chief@example.org>, ops@example.org",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "[('Desk Chief', 'chief@example.org'), ('', 'ops@example.org')]"

    settings.ADMINS = [("Desk Chief", "chief@example.org")]
    settings.DEBUG = False
    monkeypatch.setattr("articles.views.HomeView.get_queryset", lambda self: 1 / 0, raising=True)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert [m.to for m in mail.outbox] == [["chief@example.org"]]
    assert "ZeroDivisionError" in mail.outbox[0].body
