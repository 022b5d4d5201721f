import io
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command, find_commands, get_commands
from django.test import override_settings
from django.utils import timezone

from articles.models import Article
from comments import moderation
from comments.models import Comment, Reason, Report
from tests.factories import make_article, make_comment

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_purge_comment_ips_erases_only_old_addresses(settings):
    settings.NEWSROOM_COMMENTS_IP_RETENTION_DAYS = 30
    old = make_comment(ip_address="192.0.2.1", created_at=timezone.now() - timedelta(days=31))
    recent = make_comment(ip_address="192.0.2.2", created_at=timezone.now() - timedelta(days=29))
    assert "Would erase the IP address of 1 comments" in run("purge_comment_ips", "--dry-run")
    assert Comment.objects.get(pk=old.pk).ip_address == "192.0.2.1"
    assert "Erased the IP address of 1 comments older than 30 days." in run("purge_comment_ips")
    assert Comment.objects.get(pk=old.pk).ip_address is None
    assert Comment.objects.get(pk=recent.pk).ip_address == "192.0.2.2"


def test_purge_comment_ips_also_erases_old_reporters_addresses(settings):
    from comments.models import Report

    settings.NEWSROOM_COMMENTS_IP_RETENTION_DAYS = 30
    comment = make_comment()
    old = Report.objects.create(
        comment=comment, reason="spam", ip_address="192.0.2.7",
        created_at=timezone.now() - timedelta(days=31),
    )  # fmt: skip
    recent = Report.objects.create(comment=comment, reason="spam", ip_address="192.0.2.8")
    run("purge_comment_ips")
    assert Report.objects.get(pk=old.pk).ip_address is None
    assert Report.objects.get(pk=recent.pk).ip_address == "192.0.2.8"


def test_forget_commenter_anonymises_and_keeps_the_audit_trail():
    article = make_article()
    mine = make_comment(article, name="Asha Rao", email="asha@example.org", body="My words",
                        ip_address="192.0.2.1", notify_replies=True, status="held")  # fmt: skip
    mine.reasons.create(rule=Reason.Rule.WATCHED_TERM, detail="“words” matched “words”")
    moderation.approve(mine, by=None, note="Asha Rao seems fine")
    Report.objects.create(comment=mine, reason="spam", session_key="abc")
    theirs = make_comment(article, email="other@example.org", body="Other words")

    assert "Anonymised 1 comments by asha@example.org." in run(
        "forget_commenter", "ASHA@example.org"
    )
    mine.refresh_from_db()
    assert (mine.name, mine.email, mine.ip_address, mine.notify_replies) == (
        "Former reader", "", None, False,
    )  # fmt: skip
    assert "My words" not in mine.body and "My words" not in mine.body_html
    action = mine.actions.get()
    assert (action.to_status, action.note) == ("approved", "")
    assert mine.reasons.get().detail == ""
    assert mine.reports.get().session_key == ""
    assert Comment.objects.get(pk=theirs.pk).body == "Other words"


def test_forget_commenter_dry_run_changes_nothing():
    comment = make_comment(email="asha@example.org")
    assert "Would anonymise 1 comments" in run("forget_commenter", "asha@example.org", "--dry-run")
    assert Comment.objects.get(pk=comment.pk).email == "asha@example.org"


def load_demo(*args):
    with override_settings(DEBUG=True):
        return run("load_demo", "--no-accounts", *args)


def test_load_demo_writes_threads_held_and_reported_comments_idempotently():
    output = load_demo()
    assert "[3/3] comments: loaded 14 demo comments." in output
    counts = Counter(Comment.objects.values_list("status", flat=True))
    assert counts["held"] == 3 and counts["approved"] >= 10
    assert Comment.objects.filter(parent__isnull=False).exists()
    assert Reason.objects.filter(comment__status="held").count() >= 3
    assert Comment.objects.filter(report_count__gt=0).exists()
    load_demo()
    assert Counter(Comment.objects.values_list("status", flat=True)) == counts


def test_load_demo_is_one_command_that_runs_each_apps_loader_in_order():
    assert get_commands()["load_demo"] == "comments"
    defining = [
        config.name
        for config in apps.get_app_configs()
        if "load_demo" in find_commands(str(Path(config.path) / "management"))
    ]
    assert defining == ["comments"]

    output = load_demo()
    assert output.splitlines() == [
        "[1/3] articles: loaded 5 sections, 5 authors, 9 articles.",
        "[2/3] logins: left as they were (--no-accounts).",
        "[3/3] comments: loaded 14 demo comments.",
    ]
    # On an empty database the comments found the articles they belong to.
    assert Comment.objects.filter(article__slug="ministers-open-bilateral-dialogue").exists()


def test_load_demo_dry_run_rolls_back_every_step():
    output = load_demo("--dry-run", "--comments", "30")
    assert "[3/3] comments: would load 14 demo comments, 30 benchmark comments on " in output
    assert output.splitlines()[-1] == "Dry run: nothing was saved."
    assert not Article.objects.exists() and not Comment.objects.exists()


def test_load_demo_for_an_unknown_benchmark_article_refuses_and_saves_nothing():
    with pytest.raises(CommandError, match="No article with the slug 'no-such-story'"):
        load_demo("--comments", "10", "--article", "no-such-story")
    assert not Article.objects.exists() and not Comment.objects.exists()


def test_load_demo_benchmark_comments_with_replies_on_one_article():
    load_demo("--comments", "300", "--article", "ministers-open-bilateral-dialogue")
    bench = Comment.objects.filter(email__endswith="@bench.example")
    assert bench.count() == 300
    assert bench.filter(parent__isnull=False).count() == 100
    assert {c.article.slug for c in bench.select_related("article")[:5]} == {
        "ministers-open-bilateral-dialogue"
    }
    assert all(c.body_html.startswith("<p>") for c in bench[:5])
    load_demo("--comments", "300")
    assert bench.count() == 300
