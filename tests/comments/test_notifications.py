import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from comments import moderation, notifications, tasks
from comments.models import Comment
from newsroom.outbox import delivery as outbox
from newsroom.outbox.models import Message
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit callbacks really run

Status = Comment.Status


@pytest.fixture(autouse=True)
def moderators(settings):
    settings.NEWSROOM_COMMENTS_MODE = "pre"
    for name in ["mod1", "mod2"]:
        make_user(name, groups=["Moderators"])


def submit(article, body):
    return moderation.submit(
        moderation.Submission(
            article=article, name="Asha", email=f"{body[:5]}@example.org", body=body
        )  # fmt: skip
    )


def test_digest_goes_out_at_most_once_per_interval_and_carries_the_rest_later(settings):
    settings.NEWSROOM_COMMENTS_DIGEST_SECONDS = 600
    article = make_article(headline="River talks")
    submit(article, "first held comment")
    # One message per moderator, each seeing only their own address.
    assert sorted(m.to for m in mail.outbox) == [["mod1@example.org"], ["mod2@example.org"]]
    assert "1 comment waiting for moderation" in mail.outbox[0].subject

    for n in range(5):
        submit(article, f"held number {n}")
    assert len(mail.outbox) == 2  # not one mail per comment

    cache.delete(notifications.DIGEST_MARKER)  # the interval passes; beat runs the task
    tasks.send_moderation_digest.delay()
    assert len(mail.outbox) == 4
    body = mail.outbox[2].body
    assert "5 comments arrived" in body and "held number 4" in body
    assert "first held comment" not in body  # each comment is announced once
    assert "Pre-moderation" in body and "/admin/comments/comment/" in body
    tasks.send_moderation_digest.delay()
    assert len(mail.outbox) == 4


def test_without_moderators_the_digest_waits_for_the_interval(
    settings, django_assert_max_num_queries
):
    User.objects.filter(groups__name="Moderators").update(email="")
    article = make_article()
    submit(article, "held with nobody to tell")
    # The next held comment must not run the digest's queries again within the interval.
    with django_assert_max_num_queries(0):
        assert notifications.queue_digest() == 0
    assert Comment.objects.held().filter(digested_at__isnull=True).count() == 1


def test_a_digest_the_mail_server_refuses_waits_in_the_outbox_and_goes_later(settings):
    settings.EMAIL_BACKEND = "tests.comments.failing_mail.Backend"
    comment = submit(make_article(), "held while mail is down")
    assert Comment.objects.get(pk=comment.pk).digested_at is not None  # announced: queued
    queued = Message.objects.filter(kind="digest")
    assert [(m.status, m.attempts) for m in queued] == [("queued", 1), ("queued", 1)]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.send_due(now=timezone.now() + timedelta(minutes=1))["sent"] == 2
    assert "held while mail is down" in mail.outbox[0].body


def test_without_the_cache_the_digest_still_goes_once_per_interval(unreachable_cache):
    article = make_article()
    submit(article, "held while the cache is down")
    submit(article, "another one soon after")
    assert len(mail.outbox) == 2  # one digest, to two moderators
    assert Comment.objects.filter(digested_at__isnull=True).count() == 1


def test_reply_email_with_signed_one_click_unsubscribe(settings):
    settings.NEWSROOM_COMMENTS_MODE = "post"
    article = make_article(headline="River talks")
    parent = make_comment(article, notify_replies=True, email="asha@example.org", name="Asha")
    quiet = make_comment(article, email="quiet@example.org")
    moderation.submit(
        moderation.Submission(
            article=article,
            name="Ben",
            email="ben@example.org",
            body="I disagree, politely.",
            parent=parent,
        )  # fmt: skip
    )
    moderation.submit(
        moderation.Submission(
            article=article,
            name="Ben",
            email="ben@example.org",
            body="Reply to someone quiet",
            parent=quiet,
        )  # fmt: skip
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["asha@example.org"]
    assert message.subject == "New reply to your comment on “River talks”"
    assert "I disagree, politely." in message.body
    url = re.search(r"http://\S+/comments/unsubscribe/\S+/", message.body).group(0)
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    Client().post(url.replace(settings.NEWSROOM_SITE_URL, ""))
    parent.refresh_from_db()
    assert not parent.notify_replies


def test_held_reply_notifies_only_once_it_is_approved(settings):
    article = make_article()
    parent = make_comment(article, notify_replies=True, email="asha@example.org")
    reply = moderation.submit(
        moderation.Submission(
            article=article, name="Ben", email="ben@example.org", body="Held reply", parent=parent
        )  # fmt: skip
    )
    mail.outbox.clear()  # the moderators' digest
    moderation.approve(reply, by=None)
    assert [m.to for m in mail.outbox] == [["asha@example.org"]]
    moderation.hold(reply)
    moderation.approve(reply, by=None)
    assert len([m for m in mail.outbox if m.to == ["asha@example.org"]]) == 1


def test_a_reply_email_the_mail_server_refuses_is_kept_and_retried(settings):
    settings.NEWSROOM_COMMENTS_MODE = "post"
    settings.EMAIL_BACKEND = "tests.comments.failing_mail.Backend"
    article = make_article()
    parent = make_comment(article, notify_replies=True, email="asha@example.org")
    reply = moderation.submit(
        moderation.Submission(
            article=article,
            name="Ben",
            email="ben@example.org",
            body="Stored anyway",
            parent=parent,
        )  # fmt: skip
    )
    assert reply.status == Status.APPROVED
    message = Message.objects.get(kind="reply")
    assert (message.status, message.attempts, message.to_address) == (
        "queued",
        1,
        "asha@example.org",
    )
    assert Comment.objects.get(pk=reply.pk).reply_notified_at is not None  # queued once
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbox.send_due(now=timezone.now() + timedelta(minutes=1))
    assert [m.to for m in mail.outbox] == [["asha@example.org"]]


def test_a_reply_whose_approval_rolls_back_queues_no_email(settings):
    from django.db import transaction

    article = make_article()
    parent = make_comment(article, notify_replies=True, email="asha@example.org")
    reply = make_comment(article, parent=parent, status=Status.HELD)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            moderation.approve(reply, by=None)
            raise RuntimeError("the request failed after the approval")
    assert not Message.objects.filter(kind="reply").exists()
    assert mail.outbox == []
