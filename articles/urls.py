from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, re_path
from django.views.generic import TemplateView

from . import feeds, sitemaps, views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("section/<slug:slug>/", views.section, name="section"),
    path("author/<slug:slug>/", views.author, name="author"),
    re_path(
        r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/(?P<day>[0-9]{2})/(?P<slug>[-a-zA-Z0-9_]+)/$",
        views.article_detail,
        name="detail",
    ),
    re_path(
        r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/(?P<day>[0-9]{2})/(?P<slug>[-a-zA-Z0-9_]+)"
        r"/print/$",
        views.article_print,
        name="print",
    ),
    path("a/<slug:slug>/", views.article_shortlink, name="shortlink"),
    path("preview/<str:token>/", views.article_preview, name="preview"),
]

# Distribution: feeds, sitemaps, robots.txt and search.
feed = views.conditional_on_articles
# What each sitemap view is given: the index, the news sitemap, one section's sitemap.
sitemap_index = {"sitemaps": sitemaps.SITEMAPS, "sitemap_url_name": "articles:sitemap-section"}
news_sitemap = {"sitemaps": sitemaps.NEWS_SITEMAPS, "template_name": "articles/sitemap_news.xml"}
by_section = {"sitemaps": sitemaps.SITEMAPS, "template_name": "articles/sitemap.xml"}
urlpatterns += [
    path("feed/rss/", feed(feeds.ArticleFeed()), name="feed-rss"),
    path("feed/atom/", feed(feeds.AtomArticleFeed()), name="feed-atom"),
    path("section/<slug:slug>/feed/rss/", feed(feeds.SectionFeed()), name="section-feed-rss"),
    path("section/<slug:slug>/feed/atom/", feed(feeds.AtomSectionFeed()), name="section-feed-atom"),
    path("author/<slug:slug>/feed/rss/", feed(feeds.AuthorFeed()), name="author-feed-rss"),
    path("author/<slug:slug>/feed/atom/", feed(feeds.AtomAuthorFeed()), name="author-feed-atom"),
    path("sitemap.xml", feed(sitemap_views.index), sitemap_index, name="sitemap"),
    path("sitemap-news.xml", feed(sitemap_views.sitemap), news_sitemap, name="sitemap-news"),
    path("sitemap-<section>.xml", feed(sitemap_views.sitemap), by_section, name="sitemap-section"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path("search/", views.SearchView.as_view(), name="search"),
]
