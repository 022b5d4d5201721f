"""Mail about comments, written to the mail outbox in the transaction of what caused it.

The reply notification is queued with the approval of the reply, the moderators' digest with
the marking of the comments it announces: neither can be lost to a broker restart or a mail
server outage, and neither goes out twice (the outbox sends each message at most once).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from newsroom.cache import CacheUnavailable
from newsroom.outbox import delivery as outbox
from newsroom.site import absolute_url

from . import sla
from .models import Comment

DIGEST_MARKER = "comments:digest-sent"
ALERT_MARKER = "comments:sla-alert-step"
DIGEST_LIMIT = 200


def moderator_emails():
    """Return the addresses of active members of the Moderators group."""
    users = get_user_model().objects.filter(is_active=True, groups__name="Moderators")
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))


def _digest_is_fresh(now):
    """Return True if a digest went out less than an interval ago; else claim the interval."""
    interval = settings.NEWSROOM_COMMENTS_DIGEST_SECONDS
    try:
        return not cache.add(DIGEST_MARKER, now.isoformat(), timeout=interval)
    except CacheUnavailable:
        since = now - timedelta(seconds=interval)
        return Comment.objects.filter(digested_at__gte=since).exists()


def _forget_digest_marker():
    try:
        cache.delete(DIGEST_MARKER)
    except CacheUnavailable:
        pass


def queue_digest(now=None):
    """Queue the moderators' digest of held comments not yet announced, once per interval, with
    an alert when the longest-waiting one is overdue (once per alert period it has waited).

    Return the number of comments announced. Comments held while a digest is fresh wait for the
    next run (Celery beat runs this every interval).
    """
    now = now or timezone.now()
    if _digest_is_fresh(now):
        return 0
    recipients = moderator_emails()
    overdue = sla.overdue(now=now)
    if overdue and _alerted() == overdue.marker:
        overdue = None  # already alerted for this period of waiting
    with transaction.atomic():
        held = list(
            Comment.objects.held()
            .filter(digested_at__isnull=True)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("article")
            .prefetch_related("reasons")
            .order_by("created_at")[:DIGEST_LIMIT]
        )
        if not held and not overdue:
            _forget_digest_marker()  # nothing to announce: the next held comment may go out
            return 0
        if not recipients:
            # Keep the marker: with nobody to mail, retrying on every held comment only costs.
            return 0
        context = {
            "comments": held,
            "overdue": overdue,
            "queue_url": absolute_url(reverse("admin:comments_comment_changelist")),
            "desk_url": absolute_url(reverse("admin:comments_comment_desk")),
            "site_name": settings.NEWSROOM_SITE_NAME,
        }
        count = len(held)
        subject = ngettext(
            "%(count)d comment waiting for moderation",
            "%(count)d comments waiting for moderation",
            count,
        ) % {"count": count}
        if overdue:
            subject = gettext("Queue alert: a comment has waited %(wait)s") % {
                "wait": sla.describe_wait(overdue.oldest_wait)
            }
        key = f"digest:{held[0].pk}:{held[-1].pk}:{count}" if held else ""
        outbox.enqueue(
            EmailMessage(
                subject=f"[{settings.NEWSROOM_SITE_NAME}] {subject}",
                body=render_to_string("comments/email/digest.txt", context),
                to=recipients,
            ),
            kind="digest",
            key=f"{key}:alert:{overdue.marker}" if overdue else key,
        )
        Comment.objects.filter(pk__in=[c.pk for c in held]).update(digested_at=now)
    if overdue:
        try:
            cache.set(ALERT_MARKER, overdue.marker, timeout=7 * 24 * 3600)
        except CacheUnavailable:
            pass  # at worst the alert goes out again with the next digest
    return count


def _alerted():
    try:
        return cache.get(ALERT_MARKER)
    except CacheUnavailable:
        return None


def queue_reply_notification(reply):
    """Queue mail to the parent comment's author about an approved reply, once.

    Return True if queued. Call it in the transaction that approves the reply.
    """
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
    outbox.enqueue(
        EmailMessage(
            # The article headline is editor text; keep the subject to one line.
            subject=" ".join(
                (
                    gettext("New reply to your comment on “%(headline)s”")
                    % {"headline": reply.article.headline}
                ).split()
            ),
            body=render_to_string("comments/email/reply.txt", context),
            to=[parent.email],
            headers={
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        ),
        kind="reply",
        key=f"reply:{reply.pk}",
        source=reply,
    )
    reply.reply_notified_at = timezone.now()
    Comment.objects.filter(pk=reply.pk).update(reply_notified_at=reply.reply_notified_at)
    return True
