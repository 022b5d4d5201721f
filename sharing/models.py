from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Article
from newsroom.site import absolute_url


class EmailShare(models.Model):
    """A reader's request to email an article to up to five people; the outbox sends it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("In the outbox")
        SPAM = "spam", _("Spam (not sent)")

    # Kept when the article is deleted: the share and its messages stay on record (the
    # messages are then cancelled, not sent), never silently cascaded away.
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, related_name="email_shares"
    )
    sender_name = models.CharField(_("your name"), max_length=80)
    sender_email = models.EmailField(_("your email"))
    # One address a line; emptied once the outbox holds the messages
    # (NEWSROOM_SHARE_DELETE_RECIPIENTS).
    recipients = models.TextField(blank=True)
    recipient_count = models.PositiveSmallIntegerField(default=0)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    spam_reason = models.CharField(max_length=200, blank=True)
    # The form's one-time key: a POST repeated after a lost answer finds the share it made.
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The admin list, newest first, and per-article counts.
            models.Index(fields=["article", "status"], name="emailshare_article_status"),
            models.Index(fields=["-created_at"], name="emailshare_created"),
        ]

    def __str__(self):
        return f"{self.sender_name} shared “{self.article or 'a deleted article'}”"

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
        self.forget_recipients()

    def forget_recipients(self):
        """Drop the typed addresses once nothing needs them (NEWSROOM_SHARE_DELETE_RECIPIENTS)."""
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
        verbose_name = _("article shares")
        verbose_name_plural = _("article shares")
