"""Start-up configuration, checked in fresh interpreters with controlled environments."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from newsroom.celery import app

PROJECT_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-production-grade-secret-key-7f3c9e2b1d0a8f6e5c4b3a2918273645",
    "DJANGO_ALLOWED_HOSTS": "news.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://news.example.org",
}


def run_python(code, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "NEWSROOM_"))}
    base.pop("DATABASE_URL", None)
    base.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, *code],
        cwd=PROJECT_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "newsroom.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_python(["manage.py", "check"], DJANGO_DEBUG="0")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Newsroom will not start: set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for development)."
    ]


def test_debug_is_off_unless_asked_for():
    result = run_python(["-c", "from django.conf import settings as s; print(s.DEBUG)"])
    assert result.returncode == 1  # off, so the missing secret key stops it
    result = run_python(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG)",
        ],
        DJANGO_SECRET_KEY="x" * 60,
    )
    assert result.stdout.strip() == "False"


def test_check_deploy_is_clean_with_production_settings():
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_settings_come_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME']);"
        "print(s.CACHES['default']['BACKEND']);"
        "print(s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER);"
        "print(s.TIME_ZONE, s.NEWSROOM_SITE_NAME, s.NEWSROOM_SITE_URL);"
        "print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.DEFAULT_FROM_EMAIL);"
        "print(s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS)"
    )
    result = run_python(
        ["-c", code],
        **PRODUCTION_ENV,
        DATABASE_URL="postgres://news:pw@db.internal:5432/newsroom",
        REDIS_URL="redis://cache.internal:6379/0",
        NEWSROOM_TIME_ZONE="Europe/London",
        NEWSROOM_SITE_NAME="The Daily Example",
        NEWSROOM_SITE_URL="https://news.example.org/",
        EMAIL_HOST="smtp.example.org",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="1",
        DEFAULT_FROM_EMAIL="The Daily Example <news@example.org>",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "django.db.backends.postgresql newsroom",
        "newsroom.cache.ReusingRedisCache",
        "redis://cache.internal:6379/0 False",
        "Europe/London The Daily Example https://news.example.org",
        "smtp.example.org 587 True The Daily Example <news@example.org>",
        "['news.example.org'] ['https://news.example.org']",
    ]


def test_defaults_need_nothing_installed():
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE']); print(s.CACHES['default']['BACKEND']);"
        "print(s.CELERY_TASK_ALWAYS_EAGER, s.TIME_ZONE)"
    )
    result = run_python(["-c", code], DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "django.db.backends.sqlite3",
        # Shared by every process of the machine, so none serves a page another invalidated.
        "django.core.cache.backends.filebased.FileBasedCache",
        "True Asia/Kolkata",
    ]


@pytest.mark.django_db
def test_migrations_are_complete():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_mail_goes_out_under_the_site_name_and_pages_speak_its_language_by_default():
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.DEFAULT_FROM_EMAIL); print(s.LANGUAGE_CODE, s.NEWSROOM_LANGUAGE)"
    )
    result = run_python(
        ["-c", code],
        **PRODUCTION_ENV,
        NEWSROOM_SITE_NAME="The Daily Example",
        DJANGO_LANGUAGE_CODE="fr",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["The Daily Example <newsroom@localhost>", "fr fr"]


def test_rate_limits_share_one_naming_pattern_and_the_old_share_names_still_work():
    # The spam filter's MAX_FP_RATE is a share of false positives, not a rate limit.
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(sorted(n for n in dir(s) if n.startswith('NEWSROOM_') and 'RATE' in n"
        " and 'SPAM_FILTER' not in n));"
        "print(s.NEWSROOM_SHARE_IP_RATE_LIMITS, s.NEWSROOM_SHARE_SENDER_RATE_LIMITS)"
    )
    result = run_python(
        ["-c", code],
        DJANGO_DEBUG="1",
        NEWSROOM_SHARE_RATE_PER_IP="7/h",  # the old names, as deployments may still set them
        NEWSROOM_SHARE_RATE_PER_SENDER="8/h",
    )
    assert result.returncode == 0, result.stderr
    names, old_values = result.stdout.splitlines()
    assert names == str(
        [
            "NEWSROOM_COMMENTS_RATE_LIMITS",
            "NEWSROOM_COMMENTS_REPORT_RATE_LIMITS",
            "NEWSROOM_SHARE_IP_RATE_LIMITS",
            "NEWSROOM_SHARE_SENDER_RATE_LIMITS",
        ]
    )
    assert old_values == "7/h 8/h"
    result = run_python(
        ["-c", code],
        DJANGO_DEBUG="1",
        NEWSROOM_SHARE_RATE_PER_IP="7/h",
        NEWSROOM_SHARE_IP_RATE_LIMITS="9/h",  # the new name wins
    )
    assert result.stdout.splitlines()[1] == "9/h 5/h,20/d"


def test_the_beat_schedule_is_written_once_and_holds_every_periodic_job(settings):
    tree = ast.parse((PROJECT_DIR / "newsroom" / "settings.py").read_text())
    assignments = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(getattr(target, "id", None) == "CELERY_BEAT_SCHEDULE" for target in node.targets)
    ]
    assert len(assignments) == 1
    assert "globals()" not in (PROJECT_DIR / "newsroom" / "settings.py").read_text()

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {name: entry["task"] for name, entry in schedule.items()} == {
        "outbox-send-due": "newsroom.outbox.tasks.send_due_messages",
        "outbox-purge": "newsroom.outbox.tasks.purge_old_messages",
        "comments-moderation-digest": "comments.tasks.send_moderation_digest",
        "comments-purge-ips": "comments.tasks.purge_comment_ips",
        "comments-forget-cluster-keys": "comments.tasks.forget_cluster_keys",
        "comments-train-spam-filter": "comments.tasks.train_spam_filter",
    }
    app.loader.import_default_modules()  # the apps' tasks modules, as a worker loads them
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)
