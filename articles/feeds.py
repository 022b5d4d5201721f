"""RSS 2.0 and Atom feeds of the newest published articles: whole site, one section, one author."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, rfc3339_date
from django.utils.translation import gettext

from newsroom.site import absolute_url

from .models import Article, Author, Section
from .sanitize import strip_control_characters

ITEMS = 30


def _xml_safe(value):
    if isinstance(value, str):
        return strip_control_characters(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_xml_safe(each) for each in value)
    return value


class XmlSafeFeedMixin:
    """Drop characters XML cannot carry from everything a feed says, in case any got into the
    database past the models' stripping: one bad headline must not take the feed down."""

    def __init__(self, *args, **kwargs):
        super().__init__(*map(_xml_safe, args), **{k: _xml_safe(v) for k, v in kwargs.items()})

    def add_item(self, *args, **kwargs):
        super().add_item(*map(_xml_safe, args), **{k: _xml_safe(v) for k, v in kwargs.items()})


class NewsAtomFeed(XmlSafeFeedMixin, Atom1Feed):
    pass


class NewsRssFeed(XmlSafeFeedMixin, Rss201rev2Feed):
    """RSS 2.0 that also states each item's last material update, which RSS has no element for."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item["updateddate"] is not None:
            handler.addQuickElement("atom:updated", rfc3339_date(item["updateddate"]))


class ArticleFeed(Feed):
    """The newest published articles of the whole site, in RSS 2.0."""

    feed_type = NewsRssFeed
    description_template = "articles/feed_item.html"
    feed_url_name = "articles:feed-rss"

    def get_object(self, request, slug=None):
        return None

    def title(self, obj):
        return settings.NEWSROOM_SITE_NAME

    def description(self, obj):
        return gettext("The latest news from %(site_name)s.") % {
            "site_name": settings.NEWSROOM_SITE_NAME
        }

    def link(self, obj):
        return absolute_url(reverse("articles:home"))

    def feed_url(self, obj):
        return absolute_url(reverse(self.feed_url_name))

    @property
    def language(self):
        return settings.NEWSROOM_LANGUAGE

    def articles(self, obj):
        return Article.objects.published()

    def items(self, obj):
        return self.articles(obj).with_byline().prefetch_related("corrections")[:ITEMS]

    def item_title(self, item):
        return item.headline

    def item_link(self, item):
        return absolute_url(item.get_absolute_url())

    def item_author_name(self, item):
        *others, last = [author.name for author in item.byline_authors] or [""]
        return f"{', '.join(others)} and {last}" if others else last

    def item_author_link(self, item):
        authors = item.byline_authors
        return absolute_url(authors[0].get_absolute_url()) if len(authors) == 1 else None

    def item_categories(self, item):
        return [item.section.name]

    def item_pubdate(self, item):
        return item.first_published

    def item_updateddate(self, item):
        return item.last_changed


class ArticlesOfFeed(ArticleFeed):
    """The newest published articles of one section or one author, named by the URL's slug."""

    of_model = None
    of_lookup = None  # how an article names it

    def get_object(self, request, slug=None):
        return get_object_or_404(self.of_model, slug=slug)

    def title(self, obj):
        return f"{obj.name} | {settings.NEWSROOM_SITE_NAME}"

    def link(self, obj):
        return absolute_url(obj.get_absolute_url())

    def feed_url(self, obj):
        return absolute_url(reverse(self.feed_url_name, kwargs={"slug": obj.slug}))

    def articles(self, obj):
        return super().articles(obj).filter(**{self.of_lookup: obj})


class SectionFeed(ArticlesOfFeed):
    """The newest published articles of one section."""

    feed_url_name = "articles:section-feed-rss"
    of_model = Section
    of_lookup = "section"

    def description(self, obj):
        return obj.description or gettext("The latest %(section)s news from %(site_name)s.") % {
            "section": obj.name,
            "site_name": settings.NEWSROOM_SITE_NAME,
        }


class AuthorFeed(ArticlesOfFeed):
    """The newest published articles with one author in the byline."""

    feed_url_name = "articles:author-feed-rss"
    of_model = Author
    of_lookup = "bylines__author"

    def description(self, obj):
        return gettext("The latest articles by %(author)s in %(site_name)s.") % {
            "author": obj.name,
            "site_name": settings.NEWSROOM_SITE_NAME,
        }


class AtomArticleFeed(ArticleFeed):
    feed_type = NewsAtomFeed
    subtitle = ArticleFeed.description
    feed_url_name = "articles:feed-atom"


class AtomSectionFeed(SectionFeed):
    feed_type = NewsAtomFeed
    subtitle = SectionFeed.description
    feed_url_name = "articles:section-feed-atom"


class AtomAuthorFeed(AuthorFeed):
    feed_type = NewsAtomFeed
    subtitle = AuthorFeed.description
    feed_url_name = "articles:author-feed-atom"
