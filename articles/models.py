from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .sanitize import sanitize_body


class Section(models.Model):
    """A desk of the paper (Nation, World, Business…) that groups articles."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(
        default=0, help_text="Position in the site navigation; lower comes first."
    )

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:section", kwargs={"slug": self.slug})


class Author(models.Model):
    """A byline: a person, or a desk such as "Staff Reporter"."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    bio = models.TextField("short bio", blank=True, max_length=600)
    is_desk = models.BooleanField(
        "desk byline",
        default=False,
        help_text="A shared byline such as “Staff Reporter” rather than a named person.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:author", kwargs={"slug": self.slug})


class ArticleQuerySet(models.QuerySet):
    def published(self, now=None):
        """Return articles readers can see: published, with a publication time that has come."""
        return self.filter(
            status=Article.Status.PUBLISHED,
            publish_at__lte=now or timezone.now(),
        )

    def with_byline(self):
        """Fetch what a byline and an article link need, in a fixed number of queries."""
        return self.select_related("section").prefetch_related(
            models.Prefetch(
                "bylines", queryset=ArticleAuthor.objects.select_related("author").order_by("order")
            )
        )


class Article(models.Model):
    """A news story, visible to readers once published and its publication time has come."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"
        WITHDRAWN = "withdrawn", "Taken down"

    headline = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    dek = models.CharField(
        "summary", max_length=300, help_text="One sentence shown under the headline."
    )
    body = models.TextField(
        help_text="HTML. Sanitized on save: only editorial tags and http(s) links are kept."
    )
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles")
    authors = models.ManyToManyField(Author, through="ArticleAuthor", related_name="articles")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(
        "publication time",
        null=True,
        blank=True,
        help_text="A future time schedules the article: readers see it from then on.",
    )
    first_published_at = models.DateTimeField(
        "first published", null=True, blank=True, editable=False
    )
    material_update_at = models.DateTimeField(
        "updated",
        null=True,
        blank=True,
        help_text="Set when the story changed materially after publication; shown as “Updated”.",
    )
    withdrawn_at = models.DateTimeField("taken down", null=True, blank=True, editable=False)
    withdrawal_reason = models.TextField(
        blank=True, help_text="Shown to readers who follow a link to a taken-down article."
    )
    comments_enabled = models.BooleanField(default=True)
    lead_image = models.ImageField(upload_to="articles/%Y/%m/", blank=True)
    lead_image_alt = models.CharField("alt text", max_length=250, blank=True)
    lead_image_caption = models.CharField("caption", max_length=300, blank=True)
    lead_image_credit = models.CharField("credit", max_length=120, blank=True)
    # Optimistic locking: every save increments it; a save carrying an older number is refused.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-created_at"]
        indexes = [
            # Home page and feeds: the newest published articles.
            models.Index(fields=["status", "-publish_at"], name="article_status_publish"),
            # Section pages: the newest published articles of one section.
            models.Index(
                fields=["section", "status", "-publish_at"], name="article_section_publish"
            ),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        self.body = sanitize_body(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        day = self.dateline
        return reverse(
            "articles:detail",
            kwargs={
                "year": f"{day.year:04d}",
                "month": f"{day.month:02d}",
                "day": f"{day.day:02d}",
                "slug": self.slug,
            },
        )

    def is_published(self, now=None):
        """Return True if readers can see the article."""
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at <= (now or timezone.now())
        )

    def is_withdrawn(self):
        """Return True if an editor took the article down after publication."""
        return self.status == self.Status.WITHDRAWN

    def is_scheduled(self, now=None):
        """Return True if the article is published with a publication time still to come."""
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at > (now or timezone.now())
        )

    @property
    def dateline(self):
        """The date the URL carries: publication, or creation for an unpublished draft."""
        return timezone.localdate(self.publish_at or self.created_at)

    @property
    def byline_authors(self):
        """Return the authors in byline order, using prefetched rows when available."""
        return [byline.author for byline in self.bylines.all()]


class ArticleAuthor(models.Model):
    """One name in an article's byline, in order."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="bylines")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="unique_article_author")
        ]
        # The unique constraint indexes article lookups; author pages need the reverse.
        indexes = [models.Index(fields=["author", "article"], name="byline_author_article")]

    def __str__(self):
        return f"{self.author} on {self.article}"


class Correction(models.Model):
    """A dated note on a published article: a correction of fact or an update."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        UPDATE = "update", "Update"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CORRECTION)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.article}"
