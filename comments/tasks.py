"""Periodic jobs of the comments app (Celery beat): the moderators' digest (its mail goes
through the outbox, comments.notifications), IP purges, and the spam filter's training.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from . import clusters, notifications, spamfilter

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def send_moderation_digest():
    return notifications.queue_digest()


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
