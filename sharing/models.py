from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from articles.models import Article
from newsroom.site import absolute_url

# A worker that claimed a share and then died leaves it "sending"; after this long another
# worker may take it over. Far longer than sending five messages can take.
SENDING_LEASE = timedelta(minutes=15)


class EmailShareQuerySet(models.QuerySet):
    def due(self, now=None):
        """Return shares waiting to be sent whose next attempt time has come."""
        now = now or timezone.now()
        return self.filter(
            Q(status=EmailShare.Status.QUEUED, next_attempt_at__lte=now)
            | Q(status=EmailShare.Status.SENDING, claimed_at__lt=now - SENDING_LEASE)
        )

    def claim(self, pk, now=None):
        """Mark a due share as being sent by this worker; return False if it is not ours to send.

        One UPDATE guarded by the status: of two workers racing for the same share, exactly
        one changes the row, so a share is never sent twice.
        """
        now = now or timezone.now()
        return bool(
            self.due(now)
            .filter(pk=pk)
            .update(status=EmailShare.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        )


class EmailShare(models.Model):
    """A reader's request to email an article to up to five people, kept until it is sent."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SPAM = "spam", "Spam (not sent)"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="email_shares")
    sender_name = models.CharField("your name", max_length=80)
    sender_email = models.EmailField("your email")
    # One address a line; emptied once sent (NEWSROOM_SHARE_DELETE_RECIPIENTS).
    recipients = models.TextField(blank=True)
    recipient_count = models.PositiveSmallIntegerField(default=0)
    # How many recipients already have their message, so a retry resumes after them.
    sent_count = models.PositiveSmallIntegerField(default=0)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    spam_reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = EmailShareQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The sweep for due shares (send_queued_shares) and the admin's status filter.
            models.Index(fields=["status", "next_attempt_at"], name="emailshare_status_due"),
            # The admin list, newest first, and per-article counts.
            models.Index(fields=["article", "status"], name="emailshare_article_status"),
            models.Index(fields=["-created_at"], name="emailshare_created"),
        ]

    def __str__(self):
        return f"{self.sender_name} shared “{self.article}”"

    @property
    def recipient_list(self):
        """Return the recipient addresses, in the order the sender typed them."""
        return self.recipients.split()

    def get_share_url(self):
        """Return the absolute article link the message carries, tagged so visits are counted."""
        query = urlencode(
            {
                "utm_source": "email",
                "utm_medium": "article_share",
                "utm_campaign": self.article.slug,
            }
        )
        return absolute_url(f"{self.article.get_absolute_url()}?{query}")

    def mark_spam(self, reason):
        """Keep the share as evidence but never send it, nor keep the addresses typed into it."""
        self.status = self.Status.SPAM
        self.spam_reason = reason[:200]
        self._forget_recipients()

    def record_progress(self):
        """Save that one more recipient has their message."""
        self.sent_count += 1
        type(self).objects.filter(pk=self.pk).update(sent_count=self.sent_count)

    def mark_sent(self, now=None):
        """Record that every recipient has their message."""
        self.status = self.Status.SENT
        self.sent_at = now or timezone.now()
        self.last_error = ""
        self._forget_recipients()
        self.save()

    def record_failure(self, error, *, now=None, give_up=False):
        """Record a failed attempt: queue the next one after a growing delay, or give up."""
        now = now or timezone.now()
        self.last_error = str(error)[:2000] or error.__class__.__name__
        if give_up or self.attempts >= settings.NEWSROOM_SHARE_MAX_ATTEMPTS:
            self.status = self.Status.FAILED
        else:
            self.status = self.Status.QUEUED
            self.next_attempt_at = now + timedelta(seconds=self.retry_delay())
        self.save()

    def retry_delay(self):
        """Return the seconds to wait after the current attempt: the backoff, doubling each time."""
        return settings.NEWSROOM_SHARE_RETRY_BACKOFF * 2 ** max(self.attempts - 1, 0)

    def requeue(self, now=None):
        """Put a failed share back in the queue for one more round of attempts."""
        self.status = self.Status.QUEUED
        self.attempts = 0
        self.next_attempt_at = now or timezone.now()
        self.save()

    def _forget_recipients(self):
        if settings.NEWSROOM_SHARE_DELETE_RECIPIENTS:
            self.recipients = ""


class ShareVisitCountQuerySet(models.QuerySet):
    def record_visit(self, slug):
        """Count one visit from an emailed link to the article with this slug.

        One UPDATE in the usual case; the row is made on the article's first counted visit.
        """
        if self.filter(article__slug=slug).update(visits=F("visits") + 1):
            return
        article = Article.objects.published().filter(slug=slug).first()
        if article is None:
            return
        try:
            with transaction.atomic():
                self.create(article=article, visits=1)
        except IntegrityError:  # another request made the row first
            self.filter(article=article).update(visits=F("visits") + 1)


class ShareVisitCount(models.Model):
    """How many visits arrived at an article from emailed links; a number, nothing personal."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="share_visits"
    )
    visits = models.PositiveIntegerField(default=0)

    objects = ShareVisitCountQuerySet.as_manager()

    def __str__(self):
        return f"{self.visits} visits to “{self.article}” from emailed links"


class SharedArticle(Article):
    """An article seen from the sharing side: the admin's per-article share numbers."""

    class Meta:
        proxy = True
        verbose_name = "article shares"
        verbose_name_plural = "article shares"
