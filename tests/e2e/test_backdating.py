"""An editor publishes a story first published elsewhere: its 2023 date holds everywhere."""

import json
from datetime import datetime

import feedparser
import pytest
from django.utils import timezone

from articles.models import Article
from tests.e2e.conftest import PASSWORD
from tests.factories import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORIGINAL = "2023-10-24T02:24:00+05:30"


def test_backdated_publish_keeps_the_date_on_every_surface(page, live_server, editor):
    article = make_article(
        headline="Ministers open a bilateral dialogue",
        slug="ministers-open-a-bilateral-dialogue",
        status=Article.Status.DRAFT,
        publish_at=None,
    )
    page.goto(live_server.url + f"/admin/articles/article/{article.pk}/change/")
    page.get_by_label("Username").fill("eddie")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#id_publish_at_0").fill("2023-10-24")
    page.locator("#id_publish_at_1").fill("02:24:00")
    page.get_by_role("button", name="Save and publish").click()
    assert (
        "Published with the publication time you set, 24 Oct 2023, 02:24 IST"
        in page.locator(".messagelist").inner_text()
    )
    article.refresh_from_db()
    assert article.is_published()
    assert timezone.localtime(article.first_published_at).isoformat() == ORIGINAL

    reader = page.context.browser.new_context().new_page()
    url = live_server.url + "/2023/10/24/ministers-open-a-bilateral-dialogue/"
    assert reader.goto(url).status == 200
    assert reader.locator("article header .byline time").get_attribute("datetime") == ORIGINAL
    assert "Tuesday, 24 October 2023, 02:24 IST" in reader.locator("article .byline").inner_text()
    structured = json.loads(reader.locator("script[type='application/ld+json']").inner_text())
    assert structured["datePublished"] == ORIGINAL and structured["dateModified"] == ORIGINAL
    published_time = reader.locator("meta[property='article:published_time']")
    assert published_time.get_attribute("content") == ORIGINAL

    feed = feedparser.parse(reader.goto(live_server.url + "/feed/rss/").body())
    entry = next(e for e in feed.entries if e.title == "Ministers open a bilateral dialogue")
    assert datetime(*entry.published_parsed[:6]).isoformat() == "2023-10-23T20:54:00"  # in UTC
    sitemap = reader.goto(live_server.url + "/sitemap-articles.xml").text()
    assert f"<lastmod>{ORIGINAL}</lastmod>" in sitemap
    news = reader.goto(live_server.url + "/sitemap-news.xml").text()
    assert "ministers-open-a-bilateral-dialogue" not in news  # not new: outside the 48 hours
