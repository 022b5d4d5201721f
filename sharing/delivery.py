"""Send queued email shares: one message per recipient, each share by one worker only.

The Celery task and the send_queued_shares command both call deliver(), so a share reaches
its recipients the same way whichever of them gets to it first.
"""

import html
import logging
import re
import smtplib
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils.html import strip_tags
from django.utils.text import Truncator

from .models import EmailShare

logger = logging.getLogger(__name__)

EXCERPT_WORDS = 50


def make_excerpt(body):
    """Return the opening words of the article's paragraphs as plain text."""
    paragraphs = re.findall(r"<p\b[^>]*>(.*?)</p>", body, flags=re.S | re.I) or [body]
    text = " ".join(html.unescape(strip_tags(paragraph)) for paragraph in paragraphs)
    return Truncator(" ".join(text.split())).words(EXCERPT_WORDS)


def build_message(share, recipient, *, connection=None):
    """Return the message for one recipient: plain text and HTML, From us, Reply-To the sender."""
    article = share.article
    context = {
        "share": share,
        "article": article,
        "site_name": settings.NEWSROOM_SITE_NAME,
        "site_url": settings.NEWSROOM_SITE_URL,
        "share_url": share.get_share_url(),
        "excerpt": make_excerpt(article.body),
    }
    # Headers are single lines; the form refuses line breaks in the name, the headline could
    # only carry one through a bug, and the mail library would then refuse the whole message.
    subject = " ".join(f"{share.sender_name} shared: {article.headline}".split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("sharing/email_share.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        reply_to=[formataddr((share.sender_name, share.sender_email))],
        connection=connection,
    )
    message.attach_alternative(render_to_string("sharing/email_share.html", context), "text/html")
    return message


def deliver(share_id):
    """Send a due share's remaining messages; return the share, or None if it was not ours.

    SMTP trouble leaves the share queued for a later attempt (or failed after the last one);
    the caller reads share.status to decide whether to retry.
    """
    if not EmailShare.objects.claim(share_id):
        return None
    share = (
        EmailShare.objects.select_related("article__section")
        .prefetch_related("article__bylines__author")
        .get(pk=share_id)
    )
    if not share.article.is_published():
        # Taken down or unpublished since: a link to it would help nobody.
        share.record_failure("The article is no longer published.", give_up=True)
        return share
    try:
        with get_connection() as connection:
            for recipient in share.recipient_list[share.sent_count :]:
                try:
                    build_message(share, recipient, connection=connection).send()
                except smtplib.SMTPRecipientsRefused:
                    # A permanent refusal of one address must not hold back the others.
                    logger.warning("Share %s: the mail server refused one recipient", share.pk)
                share.record_progress()
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("Share %s: attempt %s failed: %s", share.pk, share.attempts, error)
        share.record_failure(error)
        return share
    except Exception as error:
        # A bug, not the mail server: still recorded on the share, so it is retried and shows
        # in the admin instead of sitting in "sending".
        logger.exception("Share %s: attempt %s failed", share.pk, share.attempts)
        share.record_failure(error)
        return share
    share.mark_sent()
    return share


def send_due_shares(*, dry_run=False):
    """Send every due share now; return counts by outcome for a one-line summary."""
    counts = {"due": 0, "sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    due = EmailShare.objects.due().order_by("next_attempt_at").values_list("pk", flat=True)
    for share_id in list(due):
        counts["due"] += 1
        if dry_run:
            continue
        share = deliver(share_id)
        if share is None:
            counts["skipped"] += 1  # another worker took it
        elif share.status == EmailShare.Status.SENT:
            counts["sent"] += 1
        elif share.status == EmailShare.Status.QUEUED:
            counts["retry"] += 1
        else:
            counts["failed"] += 1
    return counts
