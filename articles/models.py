import functools
import io
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePosixPath

import reversion
from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Least
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from newsroom import compiledsql
from newsroom.reversing import cached_reverse
from newsroom.storage import PrivateMediaStorage

from .sanitize import sanitize_body, strip_text_fields


class EditorTextModel(models.Model):
    """A model editors type into: its text never keeps a character feeds cannot carry.

    Stripped before validation, so a field holding nothing else is reported blank in the form,
    and again on save for rows written outside forms."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        strip_text_fields(self)
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        strip_text_fields(self)
        super().clean_fields(exclude)


class Section(EditorTextModel):
    """A desk of the paper (Nation, World, Business…) that groups articles."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(
        default=0, help_text=_("Position in the site navigation; lower comes first.")
    )

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return cached_reverse("articles:section", kwargs={"slug": self.slug})


class Author(EditorTextModel):
    """A byline: a person, or a desk such as "Staff Reporter"."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    bio = models.TextField(_("short bio"), blank=True, max_length=600)
    is_desk = models.BooleanField(
        _("desk byline"),
        default=False,
        help_text=_("A shared byline such as “Staff Reporter” rather than a named person."),
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
        return cached_reverse("articles:author", kwargs={"slug": self.slug})


class ArticleQuerySet(models.QuerySet):
    def delete(self):
        """Delete the articles with what belongs to them, locked first (see Article.delete)."""
        with transaction.atomic():
            list(self.select_for_update().values_list("pk", flat=True))
            return super().delete()

    def published(self, now=None):
        """Return articles readers can see: published, with a publication time that has come."""
        return self.filter(
            status=Article.Status.PUBLISHED,
            publish_at__lte=now or timezone.now(),
        )

    def count_and_next_due(self, now=None):
        """Return how many of the articles readers can see, and when the next scheduled one
        becomes visible (or None), as the one row of a values_list() query (none when no
        article is published or scheduled)."""
        now = now or timezone.now()
        return (
            self.filter(status=Article.Status.PUBLISHED)
            .order_by()
            .values("status")  # the one group
            .annotate(
                count=models.Count("pk", filter=models.Q(publish_at__lte=now)),
                next_due_at=models.Min("publish_at", filter=models.Q(publish_at__gt=now)),
            )
            .values_list("count", "next_due_at")
        )

    def withdrawn(self):
        """Return articles editors took down; their URLs answer 410."""
        return self.filter(status=Article.Status.WITHDRAWN)

    def with_dates(self):
        """Make `first_published` and `last_changed` usable in filter() and order_by(), with the
        meaning of the Article properties of those names (aggregate over the expressions)."""
        return self.alias(first_published=FIRST_PUBLISHED, last_changed=LAST_CHANGED)

    def with_byline(self):
        """Fetch what a byline and an article link need, in a fixed number of queries."""
        return self.select_related("section").prefetch_related(_bylines())


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    """Article.objects: the queryset's methods, and the front page, which starts from every
    article (a method of a filtered queryset would be kept compiled without its filters)."""

    def front_page(self, now, *, latest=6, per_section=3):
        """Return the FrontPage at `now`: the lead (the newest editor's pick, else the newest
        story), the next `latest` newest, and up to `per_section` newest of each section beyond
        those, with their bylines.

        Two queries, the stories and their bylines, compiled once per process
        (newsroom.compiledsql): the front page renders again on every site change. Loaded are
        the fields a story card shows (CARD_FIELDS), not the bodies."""
        key = ("front-page", latest, per_section)
        rows = compiledsql.rows(
            (*key, "stories"),
            lambda now: self._front_page_rows(now, latest, per_section),
            moment=now,
            prepare=True,
        )
        byline_rows = compiledsql.rows(
            (*key, "bylines"),
            lambda now: (
                ArticleAuthor.objects.filter(
                    article__in=self._front_page_rows(now, latest, per_section).values("pk")
                )
                .order_by("article_id", "order")
                .values_list(*_BYLINE_COLUMNS, *(f"author__{name}" for name in _AUTHOR_COLUMNS))
            ),
            moment=now,
            prepare=True,
        )
        return FrontPage(self.db, rows, byline_rows, latest=latest, per_section=per_section)

    def _front_page_rows(self, now, latest, per_section):
        ranked_sql, params = (
            self.published(now).order_by().values("id", "section_id", "publish_at", "is_front_lead")
        ).query.sql_with_params()
        # Our constant text around Django's own SQL; every value is a parameter.
        candidates = RawSQL(  # noqa: S611
            FRONT_PAGE_CANDIDATES.format(stories=ranked_sql), (latest + 1, *params, per_section)
        )
        return (
            self.filter(pk__in=candidates)
            .order_by("section__order", "section__name", "-publish_at", "-pk")
            .values_list(*_CARD_COLUMNS, *(f"section__{name}" for name in _SECTION_COLUMNS))
        )


class FrontPage:
    """The front page's stories, from the rows of ArticleManager.front_page.

    The rows are everything its stories can show but their pictures (`state`), so a page kept
    under them is exact; the instances are built only when the page is rendered.
    """

    def __init__(self, db, rows, byline_rows, *, latest, per_section):
        self.db = db
        self.rows = tuple(rows)
        self.byline_rows = tuple(byline_rows)
        self.sizes = (latest, per_section)

    def __bool__(self):
        return bool(self.rows)  # any visible story leads

    @functools.cached_property
    def state(self):
        """Return everything the stories show, as a key (newsroom.pagecache.remembered)."""
        lead_image = _CARD_COLUMNS.index("lead_image")
        pictured = [row for row in self.rows if row[lead_image]]
        return (
            self.sizes,
            self.rows,
            self.byline_rows,
            # A rendition is a placeholder until the upload's task has built it.
            tuple(
                tuple(article.get_rendition(name) for name in RENDITIONS)
                for article in _stories_from_rows(self.db, pictured, ())
            ),
        )

    @property
    def lead(self):
        return self._stories[0]

    @property
    def latest(self):
        return self._stories[1]

    @property
    def section_blocks(self):
        """Return {section: [articles]}, in the sections' order."""
        return self._stories[2]

    @functools.cached_property
    def _stories(self):
        latest, per_section = self.sizes
        stories = _stories_from_rows(self.db, self.rows, self.byline_rows)
        newest = sorted(stories, key=lambda article: (article.publish_at, article.pk), reverse=True)
        # The newest pick is always a candidate, so the first pick among them is the one.
        lead = next((article for article in newest if article.is_front_lead), None)
        if lead is None and newest:
            lead = newest[0]
        newest = [article for article in newest if article != lead][:latest]
        shown = {lead, *newest}
        by_section = {}
        for article in stories:
            if article not in shown:
                block = by_section.setdefault(article.section, [])
                if len(block) < per_section:
                    block.append(article)
        return lead, newest, by_section


def _stories_from_rows(db, rows, byline_rows):
    """Return Article instances of the front page's rows, with their sections and bylines set
    as select_related() and prefetch_related() would have set them."""
    kept = {}

    def one_per_row(model, columns, values):
        # A section or author shared by several stories is one instance, as with the ORM.
        key = (model, values[0])  # the columns start with the pk
        if key not in kept:
            kept[key] = model.from_db(db, columns, values)
        return kept[key]

    bylines = {}
    for row in byline_rows:
        byline = ArticleAuthor.from_db(db, _BYLINE_COLUMNS, row[: len(_BYLINE_COLUMNS)])
        byline.author = one_per_row(Author, _AUTHOR_COLUMNS, row[len(_BYLINE_COLUMNS) :])
        bylines.setdefault(byline.article_id, []).append(byline)
    stories = []
    for row in rows:
        article = Article.from_db(db, _CARD_COLUMNS, row[: len(_CARD_COLUMNS)])
        article.section = one_per_row(Section, _SECTION_COLUMNS, row[len(_CARD_COLUMNS) :])
        its_bylines = bylines.get(article.pk, [])
        for byline in its_bylines:
            byline.article = article
        _set_prefetched(article, "bylines", its_bylines)
        stories.append(article)
    return stories


def _columns(model, names):
    # In the model's field order: Model.from_db() takes the values of a partial row so.
    return [f.attname for f in model._meta.concrete_fields if f.attname in names]


def _set_prefetched(instance, name, rows):
    # What prefetch_related() leaves on each instance (django.db.models.query.
    # prefetch_one_level): the related manager's all() answers from it, without a query.
    queryset = instance._meta.get_field(name).related_model.objects.none()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def _bylines():
    return models.Prefetch(
        "bylines", queryset=ArticleAuthor.objects.select_related("author").order_by("order")
    )


# What a story card or the front page's lead shows of an article and its section
# (templates/articles/_front_lead.html, _article_card.html, _byline.html); the front page loads
# no more, and the story tag refuses a template that shows a field left out.
CARD_FIELDS = [
    "headline",
    "slug",
    "dek",
    "section__name",
    "section__slug",
    "publish_at",
    "first_published_at",
    "created_at",
    "is_front_lead",
    "lead_image",
    "lead_image_width",
    "lead_image_height",
    "lead_image_alt",
]


# The ids of the stories the front page may show, in {stories} (id, section_id, publish_at,
# is_front_lead of every story readers can see): the newest (the first parameter: latest and
# the lead), the newest pick, and the newest of each section beyond those (the last parameter).
# A pick that is not among the newest pushes the last of them out of the latest and into its
# section, so that one is kept as well. Written by hand: the same windows through the ORM
# (Window, filtered on) took about 2 ms of compiling per render, more than the rest of the
# page's queries together, and the front page renders again on every site change.
FRONT_PAGE_CANDIDATES = """
SELECT id FROM (
    SELECT id, is_near_top, ROW_NUMBER() OVER (
        PARTITION BY section_id ORDER BY is_near_top, publish_at DESC, id DESC
    ) AS in_section
    FROM (
        SELECT id, section_id, publish_at, CASE
            WHEN ROW_NUMBER() OVER (ORDER BY publish_at DESC, id DESC) <= %s THEN 1
            WHEN is_front_lead AND ROW_NUMBER() OVER (
                PARTITION BY is_front_lead ORDER BY publish_at DESC, id DESC
            ) = 1 THEN 1
            ELSE 0
        END AS is_near_top
        FROM ({stories}) AS stories
    ) AS near_top
) AS ranked
WHERE is_near_top = 1 OR in_section <= %s
"""


# The SQL twins of Article.first_published and .last_changed (see ArticleQuerySet.with_dates).
FIRST_PUBLISHED = Least(
    Coalesce("first_published_at", "publish_at"), Coalesce("publish_at", "first_published_at")
)
LAST_CHANGED = Coalesce("material_update_at", FIRST_PUBLISHED)


@reversion.register(follow=["bylines", "corrections"])
class Article(EditorTextModel):
    """A news story, visible to readers once published and its publication time has come."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")
        UNPUBLISHED = "unpublished", _("Unpublished")
        WITHDRAWN = "withdrawn", _("Taken down")

    headline = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    dek = models.CharField(
        _("summary"), max_length=300, help_text=_("One sentence shown under the headline.")
    )
    body = models.TextField(
        help_text=_("HTML. Sanitized on save: only editorial tags and http(s) links are kept.")
    )
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles")
    authors = models.ManyToManyField(Author, through="ArticleAuthor", related_name="articles")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(
        _("publication time"),
        null=True,
        blank=True,
        help_text=_("A future time schedules the article: readers see it from then on."),
    )
    first_published_at = models.DateTimeField(
        _("first published"),
        null=True,
        blank=True,
        help_text=_(
            "Set on first publication. For a story first published elsewhere, give its original "
            "time: the byline, feeds and sitemaps show that date."
        ),
    )
    material_update_at = models.DateTimeField(
        _("updated"),
        null=True,
        blank=True,
        help_text=_("Set when the story changed materially after publication; shown as “Updated”."),
    )
    withdrawn_at = models.DateTimeField(_("taken down"), null=True, blank=True, editable=False)
    withdrawal_reason = models.TextField(
        blank=True, help_text=_("Shown to readers who follow a link to a taken-down article.")
    )
    comments_enabled = models.BooleanField(default=True)
    is_front_lead = models.BooleanField(
        _("lead the front page"),
        default=False,
        help_text=_(
            "Shown first and largest on the front page. Without one, the newest story leads."
        ),
    )
    lead_image = models.ImageField(
        upload_to="articles/%Y/%m/",
        # Never public: readers get renditions; staff fetch the original through the admin.
        storage=PrivateMediaStorage(base_url="/admin/articles/article/original/"),
        blank=True,
        width_field="lead_image_width",
        height_field="lead_image_height",
        help_text=_("JPEG, PNG or WebP, 1200+ pixels wide. Alt text is required with it."),
    )
    lead_image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    lead_image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    lead_image_alt = models.CharField(_("alt text"), max_length=250, blank=True)
    lead_image_caption = models.CharField(_("caption"), max_length=300, blank=True)
    lead_image_credit = models.CharField(_("credit"), max_length=120, blank=True)
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

    objects = ArticleManager()

    class Meta:
        ordering = ["-publish_at", "-created_at"]
        indexes = [
            # Home page and feeds: the newest published articles.
            models.Index(fields=["status", "-publish_at"], name="article_status_publish"),
            # Section pages: the newest published articles of one section.
            models.Index(
                fields=["section", "status", "-publish_at"], name="article_section_publish"
            ),
            # Feeds and sitemaps answer 304 from the newest save (articles_changed_at).
            models.Index(fields=["-updated_at"], name="article_updated"),
        ]
        permissions = [("publish_article", "Can publish, schedule, unpublish and take down")]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        self.body = sanitize_body(self.body)
        if self.status == self.Status.PUBLISHED and self.first_published_at is None:
            self.first_published_at = self.publish_at
        if not self._state.adding:
            self.version += 1
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        day = self.dateline
        return cached_reverse(
            "articles:detail",
            kwargs={
                "year": f"{day.year:04d}",
                "month": f"{day.month:02d}",
                "day": f"{day.day:02d}",
                "slug": self.slug,
            },
        )

    def delete(self, *args, **kwargs):
        """Delete the article, locking its row first.

        A comment being posted holds a lock on the row while it checks and inserts, so the
        delete waits for it and then removes it too, instead of failing on a comment that
        arrived after Django collected what to delete.
        """
        with transaction.atomic():
            type(self).objects.select_for_update().filter(pk=self.pk).first()
            return super().delete(*args, **kwargs)

    def is_published(self, now=None):
        """Return True if readers can see the article."""
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at <= (now or timezone.now())
        )

    def is_scheduled(self, now=None):
        """Return True if the article is published with a publication time still to come."""
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at > (now or timezone.now())
        )

    def comments_close_at(self):
        """Return when comments close by age (NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS), or None if
        they never do or the article has no publication time."""
        days = settings.NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS
        if not days or self.publish_at is None:
            return None
        return self.publish_at + timedelta(days=days)

    def comments_are_open(self, now=None):
        """Return True if readers may comment: published, comments switched on, not too old."""
        if not self.comments_enabled or not self.is_published(now):
            return False
        close_at = self.comments_close_at()
        return close_at is None or (now or timezone.now()) < close_at

    @property
    def first_published(self):
        """When readers first saw the article, or None if they never have nor will.

        The earlier of its first publication and its publication time: an editor who sets a
        publication time in the past (a backdated story) is taken at their word, and a story
        unpublished and published again keeps the date readers first saw it.
        """
        times = [at for at in (self.first_published_at, self.publish_at) if at is not None]
        return min(times, default=None)

    @property
    def last_changed(self):
        """When the story last changed for readers: its last material update, else publication."""
        return self.material_update_at or self.first_published

    @property
    def dateline(self):
        """The date the URL carries: first publication, or creation for an unpublished draft."""
        return timezone.localdate(self.first_published or self.created_at)

    @property
    def byline_authors(self):
        """Return the authors in byline order, using prefetched rows when available."""
        return [byline.author for byline in self.bylines.all()]

    def is_written_by(self, user):
        """Return True if the user created the article or has a byline on it."""
        if not user.is_authenticated:
            return False
        return self.created_by_id == user.pk or self.bylines.filter(author__user=user).exists()

    def get_rendition(self, name):
        """Return the named resized copy of the lead image, a placeholder of the same size while
        it is being made (tasks.build_renditions), or None without a lead image.

        Never resizes: a reader's request must not pay for decoding a large picture."""
        if not self.lead_image:
            return None
        return Rendition.stored(self.lead_image, RENDITIONS[name])

    def build_renditions(self):
        """Write every missing rendition of the lead image to storage; return how many."""
        if not self.lead_image:
            return 0
        return sum(Rendition.build(self.lead_image, spec) for spec in RENDITIONS.values())

    @property
    def renditions(self):
        """Renditions by name for templates: `article.renditions.card.url`."""
        return RenditionsOf(self)


@reversion.register()
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


# The columns of the front page's queries: a card's fields (CARD_FIELDS), and the rows of its
# section, bylines and authors as select_related() and prefetch_related() load them.
_CARD_COLUMNS = _columns(Article, {"id", "section_id", *CARD_FIELDS})
_SECTION_COLUMNS = _columns(Section, {"id", *(n.split("__")[1] for n in CARD_FIELDS if "__" in n)})
_BYLINE_COLUMNS = _columns(ArticleAuthor, {f.attname for f in ArticleAuthor._meta.concrete_fields})
_AUTHOR_COLUMNS = _columns(Author, {f.attname for f in Author._meta.concrete_fields})


@reversion.register()
class Correction(EditorTextModel):
    """A dated note on a published article: a correction of fact or an update."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        UPDATE = "update", _("Update")

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


@dataclass(frozen=True)
class RenditionSpec:
    """A resized copy of a lead image: a width, and a height when it is cropped to a shape."""

    name: str
    width: int
    height: int | None = None


RENDITIONS = {
    spec.name: spec
    for spec in [
        RenditionSpec("article", 1200),
        RenditionSpec("card", 600, 338),
        RenditionSpec("social_16x9", 1200, 675),
        RenditionSpec("social_4x3", 1200, 900),
        RenditionSpec("social_1x1", 1200, 1200),
    ]
}


class RenditionsOf:
    """Look up an article's renditions with a template's dot syntax."""

    def __init__(self, article):
        self.article = article

    def __getitem__(self, name):
        return self.article.get_rendition(name)


@dataclass(frozen=True)
class Rendition:
    """A stored JPEG made from a lead image, with the size a page needs for width/height."""

    url: str
    width: int
    height: int
    is_placeholder: bool = False

    @staticmethod
    def _size_and_path(image, spec):
        source_width, source_height = _stored_size(image)
        if spec.height is None:
            # Never upscale the article picture; keep its proportions.
            width = min(spec.width, source_width)
            height = round(source_height * width / source_width)
        else:
            width, height = spec.width, spec.height
        source = PurePosixPath(image.name)
        return width, height, f"renditions/{source.parent}/{source.stem}-{spec.name}.jpg"

    @classmethod
    def stored(cls, image, spec):
        """Return the rendition of an ImageFieldFile, or a placeholder until it is built."""
        width, height, path = cls._size_and_path(image, spec)
        if not default_storage.exists(path):
            return cls(static(PLACEHOLDER), width, height, is_placeholder=True)
        return cls(url=default_storage.url(path), width=width, height=height)

    @classmethod
    def build(cls, image, spec):
        """Write the rendition to storage unless it is there; return True if it was written."""
        width, height, path = cls._size_and_path(image, spec)
        if default_storage.exists(path):
            return False
        default_storage.save(path, ContentFile(_resize(image, width, height, spec)))
        return True


PLACEHOLDER = "img/picture-placeholder.svg"


def _stored_size(image):
    """Return an ImageFieldFile's width and height as its row stores them (the field's
    width_field and height_field), so a page never opens the picture to learn its size."""
    field = image.field
    width = getattr(image.instance, field.width_field, None) if field.width_field else None
    height = getattr(image.instance, field.height_field, None) if field.height_field else None
    if width and height:
        return width, height
    return image.width, image.height


def _resize(image, width, height, spec):
    """Return JPEG bytes of the image fitted (and cropped, for fixed shapes) to the size."""
    image.open("rb")
    try:
        with Image.open(image) as picture:
            picture = ImageOps.exif_transpose(picture).convert("RGB")
            if spec.height is None:
                picture = picture.resize((width, height), Image.Resampling.LANCZOS)
            else:
                picture = ImageOps.fit(picture, (width, height), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=82, optimize=True, progressive=True)
    finally:
        image.close()
    return buffer.getvalue()


class StatusChange(models.Model):
    """An audit row: who moved an article from one status to another, and when."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=Article.Status.choices)
    to_status = models.CharField(max_length=12, choices=Article.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]
        get_latest_by = "changed_at"

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


def _default_preview_expiry():
    return timezone.now() + timedelta(hours=settings.NEWSROOM_PREVIEW_LINK_HOURS)


def preview_link_max_age():
    return timedelta(days=settings.NEWSROOM_PREVIEW_LINK_MAX_DAYS)


class PreviewLinkQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Return links that still open their article: not revoked and not expired."""
        now = now or timezone.now()
        return self.filter(
            revoked_at__isnull=True,
            expires_at__gt=now,
            created_at__gt=now - preview_link_max_age(),
        )


class PreviewLink(models.Model):
    """A signed link that shows a draft to someone without an account, until it expires."""

    SALT = "articles.preview-link"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="preview_links")
    # A random key in the row as well as the signature: revoking or deleting the row kills the link.
    key = models.CharField(max_length=32, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(default=_default_preview_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PreviewLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Preview of {self.article}"

    def save(self, *args, **kwargs):
        if not self.key:
            self.key = secrets.token_urlsafe(16)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:preview", kwargs={"token": self.token})

    @property
    def token(self):
        """The signed token carried in the link's URL."""
        return signing.Signer(salt=self.SALT).sign(self.key)

    def is_usable(self, now=None):
        """Return True if the link still opens its article (never past the longest lifetime)."""
        now = now or timezone.now()
        return (
            self.revoked_at is None
            and self.expires_at > now
            and self.created_at + preview_link_max_age() > now
        )

    @classmethod
    def key_from_token(cls, token):
        """Return the key a token signs, or None when the signature does not match."""
        try:
            return signing.Signer(salt=cls.SALT).unsign(token)
        except signing.BadSignature:
            return None


class EditorImage(EditorTextModel):
    """A picture uploaded for use inside an article body, inserted in the editor by its URL."""

    image = models.ImageField(upload_to="body-images/%Y/%m/")
    description = models.CharField(
        max_length=250, help_text=_("What the picture shows; reuse it as the alt text.")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("image for article bodies")
        verbose_name_plural = _("images for article bodies")

    def __str__(self):
        return self.description
