"""JSON-LD NewsArticle and social cards on article pages: true to the page, escaped, public only."""

import io
import json
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from lxml import html as lxml_html
from PIL import Image

from articles.models import Article, Correction
from tests.factories import make_article, make_author, make_hidden_articles, make_section, make_user

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), lxml_html.fromstring(response.content)


def json_ld(document):
    scripts = document.xpath('//script[@type="application/ld+json"]')
    return [json.loads(script.text) for script in scripts]


def meta(document, key):
    return [
        element.get("content")
        for element in document.xpath(f'//meta[@property="{key}" or @name="{key}"]')
    ]


def by_class(document, name, tag="*"):
    return document.xpath(f'//{tag}[contains(concat(" ", @class, " "), " {name} ")]')


def text(document, name, tag="*"):
    return " ".join(by_class(document, name, tag)[0].text_content().split())


@pytest.fixture
def pictured(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    now = timezone.now().replace(microsecond=0)
    article = make_article(
        headline="Ferry service resumes after the cyclone",
        dek="Boats to the islands run again from Monday, on a reduced timetable.",
        section=make_section(name="Coast"),
        authors=[
            make_author(name="Meera Pillai"),
            make_author(name="Staff Reporter", is_desk=True),
        ],
        publish_at=now - timedelta(hours=6),
        material_update_at=now - timedelta(hours=1),
        lead_image_alt="A ferry at the island pier",
    )
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1000), (40, 90, 160)).save(buffer, "JPEG")
    article.lead_image.save("ferry.jpg", ContentFile(buffer.getvalue()))
    article.build_renditions()
    Correction.objects.create(article=article, text="An earlier version misnamed the pier.")
    Correction.objects.create(
        article=article, kind=Correction.Kind.UPDATE, text="The evening sailing is cancelled."
    )
    return Article.objects.get(pk=article.pk)


def test_every_json_ld_value_equals_what_the_page_shows(client, pictured):
    _, document = page(client, pictured.get_absolute_url())
    [data] = json_ld(document)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == text(document, "article-headline", "h1")
    assert data["description"] == text(document, "article-dek") == meta(document, "description")[0]
    assert data["articleSection"] == text(document, "article-section")

    canonical = document.xpath('//link[@rel="canonical"]/@href')[0]
    assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": canonical}
    assert data["url"] == canonical == f"{SITE}{pictured.get_absolute_url()}"

    shown_published = by_class(document, "byline")[0].find(".//time").get("datetime")
    shown_updated = by_class(document, "article-updated")[0].find(".//time").get("datetime")
    assert datetime.fromisoformat(data["datePublished"]) == datetime.fromisoformat(shown_published)
    assert datetime.fromisoformat(data["dateModified"]) == datetime.fromisoformat(shown_updated)

    byline = by_class(document, "byline")[0].xpath(".//a[@rel='author']")
    assert [author["name"] for author in data["author"]] == [link.text for link in byline]
    assert data["author"][0] == {
        "@type": "Person",
        "name": "Meera Pillai",
        "url": f"{SITE}{byline[0].get('href')}",
    }
    assert data["author"][1] == {"@type": "Organization", "name": "Staff Reporter"}

    publisher = data["publisher"]
    assert publisher["name"] == text(document, "site-name")
    logo = publisher["logo"]["url"]
    assert logo == f"{SITE}/static/img/publisher-logo.png"
    assert finders.find("img/publisher-logo.png")

    shown_notes = [
        " ".join(p.text_content().split()) for p in by_class(document, "article-correction")
    ]
    assert len(data["correction"]) == len(shown_notes) == 2
    for note, shown in zip(data["correction"], shown_notes, strict=True):
        assert note["@type"] == "CorrectionComment"
        assert shown.startswith(note["name"])
        assert shown.endswith(note["text"])

    shapes = [(image["width"], image["height"]) for image in data["image"]]
    assert shapes == [(1200, 675), (1200, 900), (1200, 1200)]  # 16:9, 4:3, 1:1
    for image in data["image"]:
        assert image["url"].startswith(f"{SITE}/media/renditions/")
        assert default_storage.exists(image["url"].removeprefix(f"{SITE}/media/"))


def test_open_graph_and_twitter_cards_describe_the_article(client, pictured):
    _, document = page(client, pictured.get_absolute_url())
    [data] = json_ld(document)
    assert meta(document, "og:type") == ["article"]
    assert meta(document, "og:site_name") == ["The Newsroom"]
    assert meta(document, "og:title") == meta(document, "twitter:title") == [pictured.headline]
    assert (
        meta(document, "og:description") == meta(document, "twitter:description") == [pictured.dek]
    )
    assert meta(document, "og:url") == [data["url"]]
    assert (
        meta(document, "og:image") == meta(document, "twitter:image") == [data["image"][0]["url"]]
    )
    assert meta(document, "og:image:width") == ["1200"]
    assert meta(document, "og:image:height") == ["675"]
    assert meta(document, "og:image:alt") == ["A ferry at the island pier"]
    assert meta(document, "twitter:card") == ["summary_large_image"]
    assert meta(document, "article:published_time") == [data["datePublished"]]
    assert meta(document, "article:modified_time") == [data["dateModified"]]
    assert meta(document, "article:section") == ["Coast"]
    assert meta(document, "article:author") == [
        f"{SITE}{author.get_absolute_url()}" for author in pictured.byline_authors
    ]


def test_article_without_a_picture_has_no_image_and_a_small_card(client):
    article = make_article()
    _, document = page(client, article.get_absolute_url())
    [data] = json_ld(document)
    assert "image" not in data
    assert "correction" not in data
    # Never materially updated: "modified" is the first publication, not the last save.
    assert data["dateModified"] == data["datePublished"]
    assert meta(document, "og:image") == []
    assert meta(document, "twitter:card") == ["summary"]


def test_a_headline_with_a_closing_script_tag_cannot_break_out(client):
    headline = '</script><script>alert("x")</script><!-- & "quotes"'
    article = make_article(headline=headline, dek="A <b>bold</b> & </SCRIPT > claim.")
    source, document = page(client, article.get_absolute_url())
    [data] = json_ld(document)
    assert data["headline"] == headline
    assert data["description"] == "A <b>bold</b> & </SCRIPT > claim."
    assert '<script>alert("x")' not in source
    assert "</SCRIPT >" not in source
    # The only script elements are ours: the JSON-LD and the site's own files.
    assert all(
        s.get("src") or s.get("type") == "application/ld+json" for s in document.iter("script")
    )


def test_hidden_articles_carry_no_structured_data_or_social_cards(client, django_user_model):
    hidden = make_hidden_articles()
    editor = make_user("editor", is_staff=True, is_superuser=True)
    preview_link = hidden["preview only"].preview_links.get()
    source, document = page(client, preview_link.get_absolute_url())
    assert json_ld(document) == [] and meta(document, "og:title") == []
    # A shared preview still names its article's one canonical URL and asks not to be indexed.
    assert document.xpath('//link[@rel="canonical"]/@href') == [
        f"{SITE}{hidden['preview only'].get_absolute_url()}"
    ]
    assert meta(document, "robots") == ["noindex"]
    for way, article in hidden.items():
        reader = client.get(article.get_absolute_url())
        assert reader.status_code in (404, 410), way
        assert b"application/ld+json" not in reader.content, way
    client.force_login(editor)
    for way, article in hidden.items():
        if way == "taken down":
            continue
        source, document = page(client, article.get_absolute_url())
        assert "Preview" in source, way
        assert json_ld(document) == [] and meta(document, "og:type") == [], way


def test_print_view_names_the_canonical_article_and_is_not_indexed(client):
    article = make_article()
    _, document = page(client, f"{article.get_absolute_url()}print/")
    assert document.xpath('//link[@rel="canonical"]/@href') == [
        f"{SITE}{article.get_absolute_url()}"
    ]
    assert meta(document, "robots") == ["noindex"]
    assert json_ld(document) == []


def test_scheduled_article_gets_its_structured_data_when_its_time_comes(client):
    scheduled = make_hidden_articles()["scheduled"]
    with mock.patch("django.utils.timezone.now", return_value=scheduled.publish_at):
        _, document = page(client, scheduled.get_absolute_url())
    [data] = json_ld(document)
    assert data["headline"] == scheduled.headline
    assert meta(document, "og:title") == [scheduled.headline]
