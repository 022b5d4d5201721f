"""Background jobs of the sharing app: send one share, and sweep up any left queued."""

import logging

from celery import shared_task

from . import delivery
from .models import EmailShare

logger = logging.getLogger(__name__)

# Publishing to a broker that is down should cost the reader a second at most, not a hang:
# the share is already stored, and the periodic sweep will send it.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3}


@shared_task(bind=True, max_retries=None, acks_late=True)
def send_email_share(self, share_id):
    """Send one share; on SMTP trouble, try again after the share's backoff delay."""
    share = delivery.deliver(share_id)
    # The share counts its own attempts and gives up (status "failed") after the last one.
    if share is not None and share.status == EmailShare.Status.QUEUED:
        raise self.retry(countdown=share.retry_delay())
    return share.status if share else None


@shared_task
def send_queued_shares():
    """Send every share still waiting: the broker was down, or a retry is due."""
    return delivery.send_due_shares()


def enqueue_email_share(share_id):
    """Hand a stored share to Celery; if that fails, leave it queued for the periodic sweep."""
    try:
        send_email_share.apply_async((share_id,), retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:
        # Whatever the broker's failure, the share is safe in the database and the reader
        # has been answered; send_queued_shares picks it up.
        logger.exception("Could not enqueue email share %s; it stays queued", share_id)
