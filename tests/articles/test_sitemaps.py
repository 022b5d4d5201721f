"""Sitemaps and the Google News sitemap: valid against their schemas, published articles only."""

from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from articles.models import Article
from tests.factories import make_article, make_author, make_hidden_articles, make_section

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data"
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
SITE = "http://127.0.0.1:8000"


def schema(*files):
    """Return an XMLSchema that imports the given schema files (each for its own namespace)."""
    imports = "".join(
        f'<xsd:import namespace="{etree.parse(str(DATA / name)).getroot().get("targetNamespace")}"'
        f' schemaLocation="{name}"/>'
        for name in files
    )
    wrapper = f'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">{imports}</xsd:schema>'
    return etree.XMLSchema(etree.fromstring(wrapper, base_url=f"{DATA}/"))


def fetch(client, url, *schema_files):
    response = client.get(url)
    assert response.status_code == 200
    document = etree.fromstring(response.content)
    validator = schema(*schema_files)
    assert validator.validate(document), validator.error_log
    return document


def locations(document):
    return document.xpath("//sm:url/sm:loc/text()", namespaces=NS)


def sitemap_url(section):
    return reverse("articles:sitemap-section", kwargs={"section": section})


def test_index_lists_the_article_section_and_author_sitemaps(client):
    make_article()
    document = fetch(client, reverse("articles:sitemap"), "siteindex.xsd")
    listed = document.xpath("//sm:sitemap/sm:loc/text()", namespaces=NS)
    assert [loc.split("/")[-1] for loc in listed] == [
        "sitemap-articles.xml",
        "sitemap-sections.xml",
        "sitemap-authors.xml",
    ]


def test_article_sitemap_gives_each_article_its_last_material_update(client):
    now = timezone.now().replace(microsecond=0)
    updated = make_article(publish_at=now - timedelta(days=3), material_update_at=now)
    plain = make_article(publish_at=now - timedelta(days=1))
    document = fetch(client, sitemap_url("articles"), "sitemap.xsd")
    assert locations(document) == [
        f"{SITE}{plain.get_absolute_url()}",
        f"{SITE}{updated.get_absolute_url()}",
    ]
    lastmods = [
        datetime.fromisoformat(value)
        for value in document.xpath("//sm:url/sm:lastmod/text()", namespaces=NS)
    ]
    assert lastmods == [plain.publish_at, updated.material_update_at]


def test_section_and_author_sitemaps_list_their_pages(client):
    section = make_section()
    writer, idle = make_author(), make_author()
    make_article(section=section, authors=[writer])
    make_article(section=section, authors=[idle], status=Article.Status.DRAFT)
    sections = locations(fetch(client, sitemap_url("sections"), "sitemap.xsd"))
    assert f"{SITE}{section.get_absolute_url()}" in sections
    authors = locations(fetch(client, sitemap_url("authors"), "sitemap.xsd"))
    # An author page is listed once it has something to show.
    assert authors == [f"{SITE}{writer.get_absolute_url()}"]


def test_unknown_sitemap_is_404(client):
    assert client.get(sitemap_url("nothing")).status_code == 404


def test_news_sitemap_lists_articles_first_published_in_the_last_48_hours(client):
    now = timezone.now().replace(microsecond=0)
    fresh = make_article(headline="Dam gates opened as <rain> & wind ease", publish_at=now)
    recent = make_article(publish_at=now - timedelta(hours=47))
    make_article(publish_at=now - timedelta(hours=49))
    # Updated today, but first published last week: not news any more.
    make_article(publish_at=now - timedelta(days=7), material_update_at=now)
    document = fetch(client, reverse("articles:sitemap-news"), "sitemap.xsd", "sitemap-news.xsd")
    assert locations(document) == [
        f"{SITE}{fresh.get_absolute_url()}",
        f"{SITE}{recent.get_absolute_url()}",
    ]
    news = document.xpath("//sm:url[1]/news:news", namespaces=NS)[0]
    assert news.xpath("news:publication/news:name/text()", namespaces=NS) == ["The Newsroom"]
    assert news.xpath("news:publication/news:language/text()", namespaces=NS) == ["en"]
    assert news.xpath("news:title/text()", namespaces=NS) == [fresh.headline]
    published = news.xpath("news:publication_date/text()", namespaces=NS)[0]
    assert published.endswith("+05:30")  # the site's zone, stated explicitly
    assert datetime.fromisoformat(published) == fresh.first_published_at


def test_news_sitemap_stays_valid_whatever_control_character_got_into_a_headline(client):
    article = make_article(publish_at=timezone.now())
    c0 = "".join(chr(code) for code in range(1 if connection.vendor == "postgresql" else 0, 32))
    Article.objects.filter(pk=article.pk).update(headline=f"Dam{c0}gates")  # past the model
    document = fetch(client, reverse("articles:sitemap-news"), "sitemap.xsd", "sitemap-news.xsd")
    title = document.xpath("//news:title/text()", namespaces=NS)[0]
    assert title.startswith("Dam") and title.endswith("gates")


def test_news_sitemap_stops_at_1000_articles(client):
    section = make_section()
    now = timezone.now()
    Article.objects.bulk_create(
        Article(
            headline=f"Story {n}",
            slug=f"story-{n}",
            dek="A summary.",
            body="<p>Text.</p>",
            section=section,
            status=Article.Status.PUBLISHED,
            publish_at=now - timedelta(minutes=n + 1),
            first_published_at=now - timedelta(minutes=n + 1),
        )
        for n in range(1001)
    )
    document = fetch(client, reverse("articles:sitemap-news"), "sitemap.xsd", "sitemap-news.xsd")
    listed = locations(document)
    assert len(listed) == 1000
    assert listed[0].endswith("/story-0/")  # the newest are kept


def test_robots_txt_points_to_both_sitemaps(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
    assert f"Sitemap: {SITE}/sitemap-news.xml" in lines
    assert "Disallow: /preview/" in lines


def test_sitemaps_run_the_same_few_queries_whatever_the_number_of_articles(client):
    urls = [
        reverse("articles:sitemap"),
        sitemap_url("articles"),
        sitemap_url("sections"),
        sitemap_url("authors"),
        reverse("articles:sitemap-news"),
    ]

    def count_queries():
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        return counts

    make_article()
    before = count_queries()
    for _ in range(15):
        make_article(authors=[make_author(), make_author()])
    assert count_queries() == before
    # Freshness check (2), then: for the index, a count per sitemap and the newest article
    # update; for each sitemap, a count and a page.
    assert before == [6, 4, 4, 4, 4]


def test_schemas_reject_a_news_entry_without_its_required_parts():
    # The validation above means something only if the schemas catch a broken entry.
    broken = etree.fromstring(
        f'<urlset xmlns="{NS["sm"]}" xmlns:news="{NS["news"]}"><url>'
        "<loc>https://news.example.org/a/story/</loc><news:news><news:publication>"
        "<news:name>The Newsroom</news:name><news:language>English</news:language>"
        "</news:publication><news:title>No publication date</news:title></news:news>"
        "</url></urlset>"
    )
    assert not schema("sitemap.xsd", "sitemap-news.xsd").validate(broken)


def test_sitemap_answers_304_until_an_article_changes(client):
    article = make_article()
    for url in [reverse("articles:sitemap"), reverse("articles:sitemap-news")]:
        first = client.get(url)
        assert (
            client.get(url, headers={"if-modified-since": first["Last-Modified"]}).status_code
            == 304
        )
        assert client.get(url, headers={"if-none-match": first["ETag"]}).status_code == 304
    with mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + timedelta(seconds=5)
    ):
        article.status = Article.Status.WITHDRAWN
        article.save()
        response = client.get(sitemap_url("articles"), headers={"if-none-match": first["ETag"]})
    assert response.status_code == 200


def test_no_hidden_article_in_any_sitemap(client):
    author = make_author()
    shown = make_article(authors=[author])
    hidden = make_hidden_articles(authors=[make_author()])
    for url, files in [
        (sitemap_url("articles"), ["sitemap.xsd"]),
        (reverse("articles:sitemap-news"), ["sitemap.xsd", "sitemap-news.xsd"]),
    ]:
        listed = locations(fetch(client, url, *files))
        assert f"{SITE}{shown.get_absolute_url()}" in listed
        for way, article in hidden.items():
            assert all(f"/{article.slug}/" not in loc for loc in listed), (url, way)
    # Their author has no published article, so no author page is listed either.
    authors = locations(fetch(client, sitemap_url("authors"), "sitemap.xsd"))
    assert authors == [f"{SITE}{author.get_absolute_url()}"]


def test_scheduled_article_joins_the_sitemaps_when_its_time_comes(client):
    scheduled = make_hidden_articles()["scheduled"]
    with mock.patch("django.utils.timezone.now", return_value=scheduled.publish_at):
        for url, files in [
            (sitemap_url("articles"), ["sitemap.xsd"]),
            (reverse("articles:sitemap-news"), ["sitemap.xsd", "sitemap-news.xsd"]),
        ]:
            listed = locations(fetch(client, url, *files))
            assert listed == [f"{SITE}{scheduled.get_absolute_url()}"], url
        authors = locations(fetch(client, sitemap_url("authors"), "sitemap.xsd"))
        assert authors == [f"{SITE}{scheduled.byline_authors[0].get_absolute_url()}"]
