"""Queue email in the database with what caused it, and send each message at most once.

`enqueue()` is the only way the site sends mail: it stores one row per recipient inside the
caller's transaction, so the email exists exactly when its cause does, and hands the rows to
Celery once that transaction commits. If the broker is down the rows wait for the beat sweep
(`send_due`, every NEWSROOM_OUTBOX_SWEEP_SECONDS); a worker that died holding a message loses
its claim after NEWSROOM_OUTBOX_CLAIM_SECONDS. A failed attempt is retried with a doubling
delay until NEWSROOM_OUTBOX_RETRY_SECONDS after the message was queued, then shown as failed in
the admin, where it can be sent again.

At most one copy: a message is claimed (committed) before it goes to the mail server, and only
its claim holder records the outcome. If the database drops between the mail server's "250"
and that record, the worker keeps retrying the record while its claim holds, so no sweep sends
the message again. The one window left is a worker killed in the milliseconds between the
mail server accepting a message and recording it.
"""

import logging
import smtplib
import time

from django.conf import settings
from django.core.mail import get_connection
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from newsroom.cache import CircuitBreaker

from .models import Message

logger = logging.getLogger(__name__)

MAIL_ERRORS = (smtplib.SMTPException, OSError)
# Publishing to a broker that is down costs one fast failure, then none for a few seconds:
# the messages are stored and the sweep sends them.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
broker = CircuitBreaker(reset_seconds=5)


def enqueue(email, *, kind, key, source=None, guard=""):
    """Store `email` (a Django EmailMessage) as one outbox row per recipient; return their ids.

    Call it in the transaction of what causes the mail. `key` names this email among all the
    site sends ("reply:42"): the same key and recipient is stored once, however often queued.
    """
    now = timezone.now()
    reply_to = ", ".join(email.reply_to)
    html = next(
        (content for content, mime in getattr(email, "alternatives", []) if mime == "text/html"), ""
    )
    rows = [
        Message(
            kind=kind,
            key=key[:200],
            to_address=address,
            from_email=email.from_email or settings.DEFAULT_FROM_EMAIL,
            reply_to=reply_to,
            subject=" ".join(str(email.subject).split()),
            body=email.body,
            html_body=html,
            headers=dict(email.extra_headers),
            guard=guard,
            created_at=now,
            next_attempt_at=now,
            give_up_at=now + timezone.timedelta(seconds=settings.NEWSROOM_OUTBOX_RETRY_SECONDS),
            **Message.source_fields(source),
        )
        for address in dict.fromkeys(email.to)
    ]
    with transaction.atomic():
        Message.objects.bulk_create(rows, ignore_conflicts=True)
        # The rows this call stored (not those an earlier call with the same key had).
        stored = list(
            Message.objects.filter(
                key=key[:200], to_address__in=[r.to_address for r in rows], created_at=now
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: publish(stored))
    return stored


def publish(message_ids):
    """Hand stored messages to Celery; if the broker fails, leave them for the sweep."""
    from .tasks import send_message

    for pk in message_ids:
        if not broker.allow():
            return
        try:
            send_message.apply_async((pk,), retry_policy=PUBLISH_RETRY_POLICY)
        except Exception as error:
            broker.record_failure(error)
            logger.warning("Outbox message %s left for the sweep: broker unreachable", pk)
            return
        broker.record_success()


def send(pk, *, connection=None, now=None):
    """Send one due message if this worker can claim it; return its status, or None."""
    now = now or timezone.now()
    token = Message.objects.claim(pk, now)
    if token is None:
        return None
    message = Message.objects.select_related("source_type").get(pk=pk)
    reason = message.reason_not_to_send()
    if reason:
        message.record_cancelled(token, reason)
        return message.status
    try:
        message.as_email(connection=connection).send()
    except smtplib.SMTPRecipientsRefused as error:
        logger.warning("Outbox message %s: the mail server refused the address", pk)
        _record(message.record_failure, token, error, now=now, permanent=True)
    except MAIL_ERRORS as error:
        logger.warning("Outbox message %s: attempt %s failed: %s", pk, message.attempts, error)
        _record(message.record_failure, token, error, now=now)
    else:
        if not _record(message.record_sent, token, now=now):
            logger.error("Outbox message %s was sent but its claim had been taken over", pk)
    return message.status


def _record(method, *args, **kwargs):
    """Write an outcome, retrying through database blips for half the claim's lifetime."""
    deadline = time.monotonic() + settings.NEWSROOM_OUTBOX_CLAIM_SECONDS / 2
    delay = 0.2
    while True:
        try:
            return method(*args, **kwargs)
        except DatabaseError:
            if time.monotonic() + delay > deadline:
                raise
            logger.warning("Outbox: database unavailable while recording; retrying")
            connection.close()  # a dropped connection is replaced on the next query
            time.sleep(delay)
            delay = min(delay * 2, 5)


def send_due(*, now=None, limit=1000, dry_run=False):
    """Send due messages over one mail server connection; return counts by outcome."""
    now = now or timezone.now()
    due = list(
        Message.objects.due(now).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )
    counts = {"due": len(due), "sent": 0, "retry": 0, "failed": 0, "cancelled": 0, "skipped": 0}
    if dry_run or not due:
        return counts
    outcome = {
        Message.Status.SENT: "sent",
        Message.Status.QUEUED: "retry",
        Message.Status.FAILED: "failed",
        Message.Status.CANCELLED: "cancelled",
        None: "skipped",
    }
    mail_connection = get_connection()
    try:
        for pk in due:
            counts[outcome[send(pk, connection=mail_connection, now=now)]] += 1
    finally:
        try:
            mail_connection.close()
        except MAIL_ERRORS:
            pass
    return counts
