from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from articles import workflow
from articles.models import Article, StatusChange
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

Status = Article.Status


def member_of(group, username=None):
    username = username or group.lower()
    return make_user(username, groups=[group], email=f"{username}@example.com", is_staff=True)


@pytest.fixture
def editor():
    return member_of("Editors")


@pytest.fixture
def writer():
    return member_of("Writers")


def draft(**overrides):
    return make_article(status=Status.DRAFT, publish_at=None, **overrides)


def audit(article):
    return list(
        StatusChange.objects.filter(article=article).values_list(
            "from_status", "to_status", "changed_by__username"
        )
    )


def test_full_life_of_an_article_is_recorded_step_by_step(writer, editor):
    article = draft()
    workflow.submit_for_review(article, by=writer)
    workflow.send_back_to_draft(article, by=editor)
    workflow.submit_for_review(article, by=writer)
    workflow.publish(article, by=editor)
    workflow.unpublish(article, by=editor)
    workflow.withdraw(article, by=editor, reason="Legal complaint.")

    assert audit(article) == [
        ("draft", "review", "writers"),
        ("review", "draft", "editors"),
        ("draft", "review", "writers"),
        ("review", "published", "editors"),
        ("published", "unpublished", "editors"),
        ("unpublished", "withdrawn", "editors"),
    ]
    article.refresh_from_db()
    assert article.status == Status.WITHDRAWN
    assert article.withdrawal_reason == "Legal complaint."
    assert article.last_edited_by == editor


@pytest.mark.parametrize("step", ["publish", "unpublish", "send_back_to_draft"])
def test_writers_cannot_take_editor_steps(writer, step):
    start = Status.PUBLISHED if step == "unpublish" else Status.IN_REVIEW
    article = make_article(status=start)
    with pytest.raises(PermissionDenied):
        getattr(workflow, step)(article, by=writer)
    assert Article.objects.get().status == start
    assert not StatusChange.objects.exists()


def test_writers_cannot_take_down_articles(writer):
    article = make_article()
    with pytest.raises(PermissionDenied):
        workflow.withdraw(article, by=writer, reason="Because.")
    assert Article.objects.get().status == Status.PUBLISHED


@pytest.mark.parametrize(
    "step, status",
    [
        ("submit_for_review", Status.IN_REVIEW),
        ("submit_for_review", Status.PUBLISHED),
        ("unpublish", Status.DRAFT),
        ("send_back_to_draft", Status.DRAFT),
        ("withdraw", Status.DRAFT),
        ("publish", Status.WITHDRAWN),
    ],
)
def test_steps_refuse_statuses_they_do_not_start_from(editor, step, status):
    article = make_article(status=status)
    kwargs = {"reason": "x"} if step == "withdraw" else {}
    with pytest.raises(workflow.TransitionNotAllowed):
        getattr(workflow, step)(article, by=editor, **kwargs)
    assert not StatusChange.objects.exists()


def test_publishing_a_live_article_again_does_not_redate_it(editor):
    article = make_article(publish_at=timezone.now() - timedelta(days=3))
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.publish(article, by=editor)


def test_withdraw_needs_a_reason(editor):
    article = make_article()
    with pytest.raises(ValueError, match="Give a reason"):
        workflow.withdraw(article, by=editor, reason="   ")
    assert Article.objects.get().status == Status.PUBLISHED


def test_publish_without_a_time_publishes_now_and_sets_first_published(editor):
    article = draft()
    before = timezone.now()
    workflow.publish(article, by=editor)
    article.refresh_from_db()
    assert before <= article.publish_at <= timezone.now()
    assert article.first_published_at == article.publish_at
    assert article.published_by == editor and article.is_published()


def test_republishing_keeps_the_first_publication_time(editor):
    article = draft()
    workflow.publish(article, by=editor)
    first = article.first_published_at
    workflow.unpublish(article, by=editor)
    workflow.publish(article, by=editor)
    article.refresh_from_db()
    assert article.first_published_at == first


def test_scheduled_article_appears_exactly_when_its_time_comes(editor):
    now = timezone.now()
    at = now + timedelta(hours=6)
    article = draft()
    workflow.publish(article, by=editor, at=at)
    assert article.status == Status.PUBLISHED and article.is_scheduled(now=now)
    assert "Scheduled for" in article.status_changes.get().note

    with mock.patch("django.utils.timezone.now", return_value=at - timedelta(seconds=1)):
        assert not Article.objects.published().exists()
        assert not article.is_published()
    with mock.patch("django.utils.timezone.now", return_value=at):
        assert list(Article.objects.published()) == [article]
        assert article.is_published()


def test_publish_keeps_a_past_time_the_editor_set_and_notes_it(editor):
    at = timezone.now() - timedelta(days=770)  # a story first published elsewhere
    article = make_article(status=Status.DRAFT, publish_at=at)
    workflow.publish(article, by=editor)
    article.refresh_from_db()
    assert article.publish_at == at and article.first_published_at == at
    assert article.is_published()
    assert article.status_changes.get().note.startswith("Published with its earlier publication")


def test_publish_keeps_a_future_time_already_on_the_article(editor):
    at = timezone.now() + timedelta(days=1)
    article = make_article(status=Status.IN_REVIEW, publish_at=at)
    workflow.publish(article, by=editor)
    assert article.publish_at == at and article.is_scheduled()


def test_submit_for_review_emails_editors_only_after_commit(
    writer, editor, django_capture_on_commit_callbacks
):
    member_of("Moderators", "mo")
    make_user("former", groups=["Editors"], email="former@example.com", is_active=False)
    article = draft(headline="Rates rise\nagain")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.submit_for_review(article, by=writer)
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["editors@example.com"]
    assert mail.outbox[0].subject == "For review: Rates rise again"


def test_no_email_when_the_transaction_rolls_back(writer, django_capture_on_commit_callbacks):
    article = draft()
    published = make_article()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(workflow.TransitionNotAllowed):
            workflow.submit_for_review(published, by=writer)
    assert callbacks == [] and mail.outbox == []
    assert article.status == Status.DRAFT


def test_each_save_increments_the_version():
    article = draft()
    assert article.version == 1
    article.headline = "Changed"
    article.save()
    article.refresh_from_db()
    assert article.version == 2


def test_each_step_keeps_a_revision_with_who_and_what(editor):
    from reversion.models import Version

    article = draft()
    workflow.publish(article, by=editor)
    revision = Version.objects.get_for_object(article).get().revision
    assert revision.user == editor
    assert revision.get_comment() == "Draft → Published"
