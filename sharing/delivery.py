"""The messages of an email share: one per recipient, written to the mail outbox.

They are rendered when the reader sends the share and stored with it in one transaction; the
outbox (newsroom.outbox) sends each at most once, and asks `reason_not_to_send` first, so a
share of an article taken down or deleted meanwhile is cancelled, on record, never sent.
"""

import html
import re
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext

from newsroom.outbox import delivery as outbox

EXCERPT_WORDS = 50


def make_excerpt(body):
    """Return the opening words of the article's paragraphs as plain text."""
    paragraphs = re.findall(r"<p\b[^>]*>(.*?)</p>", body, flags=re.S | re.I) or [body]
    text = " ".join(html.unescape(strip_tags(paragraph)) for paragraph in paragraphs)
    return Truncator(" ".join(text.split())).words(EXCERPT_WORDS)


def build_message(share, recipient):
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
    subject = gettext("%(sender)s shared: %(headline)s") % {
        "sender": share.sender_name,
        "headline": article.headline,
    }
    subject = " ".join(subject.split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("sharing/email_share.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        reply_to=[formataddr((share.sender_name, share.sender_email))],
    )
    message.attach_alternative(render_to_string("sharing/email_share.html", context), "text/html")
    return message


def queue_share(share):
    """Put one message per recipient of a stored share in the outbox (same transaction)."""
    with transaction.atomic():
        for number, recipient in enumerate(share.recipient_list):
            outbox.enqueue(
                build_message(share, recipient),
                kind="share",
                key=f"share:{share.pk}:{number}",
                source=share,
                guard="sharing.delivery.reason_not_to_send",
            )
        share.forget_recipients()
        share.save(update_fields=["recipients"])


def reason_not_to_send(share):
    """Return why a queued share's message must not go out any more, or ""."""
    if share is None or share.article is None:
        return "The share or its article was deleted."
    if not share.article.is_published():
        return "The article is no longer published."
    return ""
