"""Mail about comments, sent by Celery after the comment is safely stored.

A failing mail server only delays these tasks (they retry); it never loses or blocks a comment.
"""

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from newsroom.site import absolute_url

from . import clusters, spamfilter
from .models import Comment

logger = logging.getLogger(__name__)

DIGEST_MARKER = "comments:digest-sent"
DIGEST_LIMIT = 200
MAIL_ERRORS = (smtplib.SMTPException, OSError)


def moderator_emails():
    """Return the addresses of active members of the Moderators group."""
    users = get_user_model().objects.filter(is_active=True, groups__name="Moderators")
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))


def send_digest(now=None):
    """Mail moderators the held comments not yet announced, at most once per interval.

    Return the number of comments announced. Comments held while a digest is fresh wait for the
    next run (Celery beat runs this every interval).
    """
    now = now or timezone.now()
    if not cache.add(
        DIGEST_MARKER, now.isoformat(), timeout=settings.NEWSROOM_COMMENTS_DIGEST_SECONDS
    ):
        return 0
    held = list(
        Comment.objects.held()
        .filter(digested_at__isnull=True)
        .select_related("article")
        .prefetch_related("reasons")
        .order_by("created")[:DIGEST_LIMIT]
    )
    if not held:
        cache.delete(DIGEST_MARKER)  # nothing to announce: the next held comment may go out at once
        return 0
    recipients = moderator_emails()
    if not recipients:
        # Keep the marker: with nobody to mail, retrying on every held comment only costs queries.
        return 0
    context = {
        "comments": held,
        "queue_url": absolute_url(reverse("admin:comments_comment_changelist")),
        "site_name": settings.NEWSROOM_SITE_NAME,
    }
    subject = f"{len(held)} comment{'s' if len(held) != 1 else ''} waiting for moderation"
    try:
        EmailMessage(
            subject=f"[{settings.NEWSROOM_SITE_NAME}] {subject}",
            body=render_to_string("comments/email/digest.txt", context),
            to=recipients,
        ).send()
    except MAIL_ERRORS:
        cache.delete(DIGEST_MARKER)
        raise
    Comment.objects.filter(pk__in=[c.pk for c in held]).update(digested_at=now)
    return len(held)


def send_reply_notification(reply):
    """Mail the parent comment's author about an approved reply, once; return True if sent."""
    parent = reply.parent
    if (
        reply.reply_notified_at
        or not reply.is_public()
        or not parent
        or not parent.notify_replies
        or not parent.email
        or parent.email == reply.email
    ):
        return False
    unsubscribe_url = absolute_url(parent.get_unsubscribe_url())
    context = {
        "reply": reply,
        "parent": parent,
        "reply_url": absolute_url(reply.get_absolute_url()),
        "unsubscribe_url": unsubscribe_url,
        "site_name": settings.NEWSROOM_SITE_NAME,
    }
    EmailMessage(
        # The article headline is editor text; newlines could never reach the header anyway,
        # because Django refuses them, but keep the subject to one line.
        subject=" ".join(f"New reply to your comment on “{reply.article.headline}”".split()),
        body=render_to_string("comments/email/reply.txt", context),
        to=[parent.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    ).send()
    Comment.objects.filter(pk=reply.pk).update(reply_notified_at=timezone.now())
    return True


@shared_task(bind=True, max_retries=6, default_retry_delay=60, retry_backoff=True)
def send_moderation_digest(self):
    try:
        return send_digest()
    except MAIL_ERRORS as exc:
        logger.warning("Moderation digest not sent, will retry: %s", exc)
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, max_retries=6, default_retry_delay=60, retry_backoff=True)
def notify_reply(self, comment_id):
    reply = Comment.objects.select_related("article", "parent").filter(pk=comment_id).first()
    if reply is None:
        return False
    try:
        return send_reply_notification(reply)
    except MAIL_ERRORS as exc:
        logger.warning("Reply notification %s not sent, will retry: %s", comment_id, exc)
        raise self.retry(exc=exc) from exc


@shared_task
def purge_comment_ips():
    from django.core.management import call_command

    call_command("purge_comment_ips")


# One training at a time across workers; a training of the site's decisions takes seconds.
TRAINING_LOCK = "comments:spam-filter-training"


def _train_once(every):
    try:
        locked = cache.add(TRAINING_LOCK, 1, timeout=3600)
    except Exception:  # a failing cache must not stop the filter from learning
        logger.warning("Cache unavailable; training the spam filter without a lock")
        locked = None
    if locked is False:
        return None
    try:
        model = spamfilter.train_if_due(every=every)
        return model.version if model else None
    finally:
        if locked:
            cache.delete(TRAINING_LOCK)


@shared_task
def learn_from_decisions():
    """Retrain the spam filter once enough new moderator decisions came in."""
    return _train_once(settings.NEWSROOM_SPAM_FILTER_RETRAIN_EVERY)


@shared_task
def train_spam_filter():
    """Retrain the spam filter nightly if moderators decided anything since the last model."""
    return _train_once(1)


@shared_task
def forget_cluster_keys():
    """Delete spam-wave keys older than the clustering window."""
    return clusters.forget_old_keys()
