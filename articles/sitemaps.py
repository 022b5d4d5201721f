"""Sitemaps of published articles, sections and authors, and a Google News sitemap."""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.utils import timezone

from .models import LAST_CHANGED, Article, Author, Section

# Google News reads only articles first published in the last two days, at most 1,000 of them.
NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1000


class SiteSitemap(Sitemap):
    """Locations under NEWSROOM_SITE_URL, like canonical links, whatever host the request used."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.NEWSROOM_SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.NEWSROOM_SITE_URL).netloc


class ArticleSitemap(SiteSitemap):
    """Every published article; lastmod is its last material update."""

    def items(self):
        return Article.objects.published().with_dates().order_by("-publish_at", "-pk")

    def lastmod(self, article):
        return article.last_changed

    def get_latest_lastmod(self):
        # The default walks every item; the sitemap index needs only the newest.
        return self.items().aggregate(latest=Max(LAST_CHANGED))["latest"]


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
            Article.objects.published()
            .with_dates()
            .filter(first_published__gte=since)
            .order_by("-first_published", "-pk")[:NEWS_LIMIT]
        )


SITEMAPS = {"articles": ArticleSitemap, "sections": SectionSitemap, "authors": AuthorSitemap}
NEWS_SITEMAPS = {"news": NewsSitemap}
