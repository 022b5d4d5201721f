"""Sitemaps of published articles, sections and authors, and a Google News sitemap."""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Article, Author, Section

# Google News reads only articles first published in the last two days, at most 1,000 of them.
NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1000


class SiteSitemap(Sitemap):
    """Locations under NEWSROOM_SITE_URL, like canonical links, whatever host the request used."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.NEWSROOM_SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.NEWSROOM_SITE_URL).netloc


def _with_dates(queryset):
    return queryset.annotate(
        first_published=Coalesce("first_published_at", "publish_at"),
        last_changed=Coalesce("material_update_at", "first_published_at", "publish_at"),
    )


class ArticleSitemap(SiteSitemap):
    """Every published article; lastmod is its last material update."""

    def items(self):
        return _with_dates(Article.objects.published()).order_by("-publish_at", "-pk")

    def lastmod(self, article):
        return article.last_changed

    def get_latest_lastmod(self):
        # The default walks every item; the sitemap index needs only the newest.
        return self.items().aggregate(latest=Max("last_changed"))["latest"]


class SectionSitemap(SiteSitemap):
    """Every section page."""

    def items(self):
        return Section.objects.order_by("order", "name")


class AuthorSitemap(SiteSitemap):
    """The page of every author with a published article."""

    def items(self):
        published = Article.objects.published()
        return Author.objects.filter(bylines__article__in=published).distinct().order_by("name")


class NewsSitemap(ArticleSitemap):
    """Articles first published in the last 48 hours, for Google News."""

    limit = NEWS_LIMIT

    def items(self):
        since = timezone.now() - NEWS_WINDOW
        return (
            _with_dates(Article.objects.published())
            .filter(first_published__gte=since)
            .order_by("-first_published", "-pk")[:NEWS_LIMIT]
        )


SITEMAPS = {"articles": ArticleSitemap, "sections": SectionSitemap, "authors": AuthorSitemap}
NEWS_SITEMAPS = {"news": NewsSitemap}
