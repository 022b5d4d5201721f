import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


def claim_expiry():
    return timedelta(seconds=settings.NEWSROOM_OUTBOX_CLAIM_SECONDS)


class MessageQuerySet(models.QuerySet):
    def due(self, now=None):
        """Return messages to send now: queued and due, or claimed by a worker that went away."""
        now = now or timezone.now()
        return self.filter(
            Q(status=Message.Status.QUEUED, next_attempt_at__lte=now)
            | Q(status=Message.Status.SENDING, claimed_at__lt=now - claim_expiry())
        )

    def claim(self, pk, now=None):
        """Take a due message for this worker; return its claim token, or None if not ours.

        One UPDATE guarded by the status: of two workers racing for a message, exactly one
        changes the row, and only the holder of the token may record the outcome.
        """
        now = now or timezone.now()
        token = uuid.uuid4()
        claimed = (
            self.due(now)
            .filter(pk=pk)
            .update(
                status=Message.Status.SENDING,
                claimed_at=now,
                claim_token=token,
                attempts=F("attempts") + 1,
            )
        )
        return token if claimed else None

    def past_retention(self, now=None):
        """Return sent and cancelled messages older than NEWSROOM_OUTBOX_KEEP_DAYS."""
        cutoff = (now or timezone.now()) - timedelta(days=settings.NEWSROOM_OUTBOX_KEEP_DAYS)
        done = [Message.Status.SENT, Message.Status.CANCELLED]
        return self.filter(status__in=done, created_at__lt=cutoff)

    def backlog(self):
        """Return the messages not yet sent nor given up on."""
        return self.filter(status__in=[Message.Status.QUEUED, Message.Status.SENDING])


class Message(models.Model):
    """One email to one recipient, stored with what caused it and sent at most once."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    # What the message is ("share", "reply", "digest", "review") and which email it is: one
    # row per key and recipient, so queuing the same email twice stores it once.
    kind = models.CharField(max_length=20)
    key = models.CharField(max_length=200)
    to_address = models.EmailField(_("to"), max_length=254)
    from_email = models.CharField(max_length=320)
    reply_to = models.CharField(max_length=400, blank=True)
    subject = models.CharField(max_length=400)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # The row that caused it (a share, a comment, an article), for the admin and `guard`.
    source_type = models.ForeignKey(ContentType, on_delete=models.SET_NULL, null=True, blank=True)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    # Dotted path of a function(source) returning why the message should no longer be sent,
    # or "" to send it; asked just before sending.
    guard = models.CharField(max_length=200, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    give_up_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["key", "to_address"], name="outbox_one_per_recipient")
        ]
        indexes = [
            # The sweep for due messages, the health check's backlog and the admin's filter.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_due"),
            models.Index(fields=["source_type", "source_id"], name="outbox_source"),
            models.Index(fields=["-created_at"], name="outbox_created"),
        ]

    def __str__(self):
        return f"{self.subject} → {self.to_address}"

    def as_email(self, *, connection=None):
        """Return the Django email message to hand to the mail server."""
        email = EmailMultiAlternatives(
            subject=self.subject,
            body=self.body,
            from_email=self.from_email,
            to=[self.to_address],
            reply_to=[self.reply_to] if self.reply_to else None,
            headers=self.headers or None,
            connection=connection,
        )
        if self.html_body:
            email.attach_alternative(self.html_body, "text/html")
        return email

    def reason_not_to_send(self):
        """Return why the message is no longer wanted (its guard says so), or ""."""
        if not self.guard:
            return ""
        return import_string(self.guard)(self.source)

    def retry_delay(self):
        """Return the seconds to wait after the current attempt: the backoff, doubling, capped."""
        delay = settings.NEWSROOM_OUTBOX_RETRY_BACKOFF * 2 ** max(self.attempts - 1, 0)
        return min(delay, settings.NEWSROOM_OUTBOX_MAX_RETRY_DELAY)

    def _finish(self, token, **fields):
        # Only the worker whose claim is current records an outcome.
        return bool(type(self).objects.filter(pk=self.pk, claim_token=token).update(**fields))

    def record_sent(self, token, now=None):
        """Record that the mail server accepted the message."""
        self.status, self.sent_at = self.Status.SENT, now or timezone.now()
        return self._finish(
            token, status=self.status, sent_at=self.sent_at, last_error="", claim_token=None
        )

    def record_failure(self, token, error, *, now=None, permanent=False):
        """Record a failed attempt: queue the next after the backoff, or give up for good."""
        now = now or timezone.now()
        self.last_error = (str(error) or error.__class__.__name__)[:2000]
        next_attempt = now + timedelta(seconds=self.retry_delay())
        if permanent or next_attempt > self.give_up_at:
            self.status = self.Status.FAILED
        else:
            self.status, self.next_attempt_at = self.Status.QUEUED, next_attempt
        return self._finish(
            token,
            status=self.status,
            next_attempt_at=self.next_attempt_at,
            last_error=self.last_error,
            claim_token=None,
        )

    def record_cancelled(self, token, reason):
        """Record that the message will not be sent, and why."""
        self.status, self.last_error = self.Status.CANCELLED, reason
        return self._finish(token, status=self.status, last_error=reason, claim_token=None)

    def requeue(self, now=None):
        """Put a failed or cancelled message back in the queue for a new round of attempts."""
        now = now or timezone.now()
        self.status = self.Status.QUEUED
        self.attempts = 0
        self.next_attempt_at = now
        self.give_up_at = now + timedelta(seconds=settings.NEWSROOM_OUTBOX_RETRY_SECONDS)
        self.save(update_fields=["status", "attempts", "next_attempt_at", "give_up_at"])

    @classmethod
    def source_fields(cls, source):
        if source is None:
            return {}
        return {"source_type": ContentType.objects.get_for_model(source), "source_id": source.pk}
