"""RSS and Atom feeds: read by a real parser, published articles only, cheap and cacheable."""

import calendar
from datetime import timedelta
from unittest import mock

import feedparser
import lxml.etree
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Author, Correction, Section
from tests.factories import make_article, make_author, make_hidden_articles, make_section

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"


def feed_urls(section, author):
    return [
        reverse("articles:feed-rss"),
        reverse("articles:feed-atom"),
        reverse("articles:section-feed-rss", args=[section.slug]),
        reverse("articles:section-feed-atom", args=[section.slug]),
        reverse("articles:author-feed-rss", args=[author.slug]),
        reverse("articles:author-feed-atom", args=[author.slug]),
    ]


def read(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def timestamp(value):
    return calendar.timegm(value)


@pytest.fixture
def newsroom():
    section = make_section(name="Nation", slug="nation")
    asha, vikram = make_author(name="Asha Rao"), make_author(name="Vikram Iyer")
    now = timezone.now().replace(microsecond=0)
    older = make_article(
        headline="Monsoon arrives early in the south",
        dek="Forecasters say the rains came nine days ahead of the average date.",
        section=section,
        authors=[asha, vikram],
        publish_at=now - timedelta(hours=5),
        material_update_at=now - timedelta(hours=2),
    )
    Correction.objects.create(
        article=older, text="An earlier version gave the wrong district.", created_at=now
    )
    newer = make_article(
        headline="Metro line opens to the airport",
        dek="The new line cuts the journey to forty minutes.",
        section=section,
        authors=[asha],
        publish_at=now - timedelta(hours=1),
    )
    return section, asha, older, newer


@pytest.mark.parametrize("name", ["articles:feed-rss", "articles:feed-atom"])
def test_site_feed_lists_published_articles_newest_first_with_their_details(client, newsroom, name):
    section, asha, older, newer = newsroom
    parsed = read(client, reverse(name))
    assert parsed.feed.title == "The Newsroom"
    assert parsed.feed.get("language", "en") == "en"
    assert [entry.title for entry in parsed.entries] == [newer.headline, older.headline]
    entry = parsed.entries[1]
    assert entry.link == f"{SITE}{older.get_absolute_url()}"
    assert older.dek in entry.summary
    assert "An earlier version gave the wrong district." in entry.summary
    assert "Correction" in entry.summary
    assert entry.author == "Asha Rao and Vikram Iyer"
    assert [tag.term for tag in entry.tags] == ["Nation"]
    assert timestamp(entry.published_parsed) == int(older.first_published_at.timestamp())
    assert timestamp(entry.updated_parsed) == int(older.material_update_at.timestamp())
    # Without a material update, "updated" is the first publication.
    assert timestamp(parsed.entries[0].updated_parsed) == int(newer.publish_at.timestamp())


def test_single_author_entry_links_the_author_page_in_atom(client, newsroom):
    _, asha, _, newer = newsroom
    entry = read(client, reverse("articles:feed-atom")).entries[0]
    assert entry.title == newer.headline
    assert entry.author_detail.href == f"{SITE}{asha.get_absolute_url()}"


def test_section_feed_lists_only_that_section(client, newsroom):
    section, _, older, newer = newsroom
    make_article(headline="Elsewhere entirely")
    for name in ["articles:section-feed-rss", "articles:section-feed-atom"]:
        parsed = read(client, reverse(name, args=[section.slug]))
        assert parsed.feed.title == "Nation | The Newsroom"
        assert [entry.title for entry in parsed.entries] == [newer.headline, older.headline]


def test_author_feed_lists_only_that_authors_articles(client, newsroom):
    _, _, older, _ = newsroom
    vikram = older.byline_authors[1]
    make_article(headline="Someone else's story")
    for name in ["articles:author-feed-rss", "articles:author-feed-atom"]:
        parsed = read(client, reverse(name, args=[vikram.slug]))
        assert [entry.title for entry in parsed.entries] == [older.headline]


def test_unknown_section_or_author_feed_is_404(client):
    assert client.get(reverse("articles:section-feed-rss", args=["nope"])).status_code == 404
    assert client.get(reverse("articles:author-feed-atom", args=["nope"])).status_code == 404


def test_every_page_links_the_site_feeds_and_its_own(client, newsroom):
    section, asha, _, newer = newsroom
    home = client.get(reverse("articles:home")).content.decode()
    rss, atom = reverse("articles:feed-rss"), reverse("articles:feed-atom")
    assert f'type="application/rss+xml" title="The Newsroom (RSS)" href="{rss}"' in home
    assert f'type="application/atom+xml" title="The Newsroom (Atom)" href="{atom}"' in home
    article_page = client.get(newer.get_absolute_url()).content.decode()
    assert 'rel="alternate" type="application/rss+xml" title="The Newsroom (RSS)"' in article_page
    section_page = client.get(section.get_absolute_url()).content.decode()
    assert f'href="{reverse("articles:section-feed-rss", args=[section.slug])}"' in section_page
    assert f'href="{reverse("articles:section-feed-atom", args=[section.slug])}"' in section_page
    author_page = client.get(asha.get_absolute_url()).content.decode()
    assert f'href="{reverse("articles:author-feed-rss", args=[asha.slug])}"' in author_page
    assert f'href="{reverse("articles:author-feed-atom", args=[asha.slug])}"' in author_page


def test_feeds_run_the_same_few_queries_whatever_the_number_of_articles(client, newsroom):
    section, asha, _, _ = newsroom
    urls = feed_urls(section, asha)

    def count_queries():
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        return counts

    before = count_queries()
    for n in range(12):
        article = make_article(section=section, authors=[asha, make_author()])
        Correction.objects.create(article=article, text=f"Fix {n}.")
    assert count_queries() == before
    # Freshness check (2), articles, bylines, corrections; plus the section or author.
    assert before == [5, 5, 6, 6, 6, 6]


def test_feed_answers_304_until_an_article_changes(client, newsroom):
    url = reverse("articles:feed-rss")
    first = client.get(url)
    assert first.status_code == 200
    assert "max-age=300" in first["Cache-Control"]
    last_modified, etag = first["Last-Modified"], first["ETag"]
    assert client.get(url, headers={"if-modified-since": last_modified}).status_code == 304
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304

    # Saving any article (here: taking the newest down) makes every copy stale.
    _, _, _, newer = newsroom
    later = timezone.now() + timedelta(seconds=5)
    with mock.patch("django.utils.timezone.now", return_value=later):
        newer.status = Article.Status.WITHDRAWN
        newer.save()
        fresh = client.get(url, headers={"if-none-match": etag})
    assert fresh.status_code == 200
    assert newer.headline not in fresh.content.decode()


def test_no_hidden_article_in_any_feed(client, newsroom):
    section, asha, _, newer = newsroom
    hidden = make_hidden_articles(section=section, authors=[asha])
    for url in feed_urls(section, asha):
        titles = [entry.title for entry in read(client, url).entries]
        assert newer.headline in titles, url
        for way, article in hidden.items():
            assert article.headline not in titles, (url, way)


def test_scheduled_article_joins_every_feed_when_its_time_comes(client, newsroom):
    section, asha, _, _ = newsroom
    scheduled = make_hidden_articles(section=section, authors=[asha])["scheduled"]
    with mock.patch("django.utils.timezone.now", return_value=scheduled.publish_at):
        for url in feed_urls(section, asha):
            titles = [entry.title for entry in read(client, url).entries]
            assert titles[0] == scheduled.headline, url


# --- Control characters in editor text ---------------------------------------------------------

C0 = "".join(chr(code) for code in range(0x20))

# Every text field editors fill in that a feed reads.
FEED_TEXT_FIELDS = [
    (Article, "headline"),
    (Article, "dek"),
    (Article, "body"),
    (Correction, "text"),
    (Author, "name"),
    (Author, "bio"),
    (Section, "name"),
    (Section, "description"),
]


@pytest.mark.parametrize(
    "model, field", FEED_TEXT_FIELDS, ids=[f"{m.__name__}.{f}" for m, f in FEED_TEXT_FIELDS]
)
def test_every_feed_stays_valid_xml_whatever_control_character_got_into_editor_text(
    client, newsroom, model, field
):
    section, asha, older, _ = newsroom
    rows = {Article: older, Correction: older.corrections.get(), Author: asha, Section: section}
    # Written past the models' stripping, as rows saved before it existed would be. PostgreSQL
    # cannot store NUL at all, so it can never get in there.
    bad = "Before" + (C0 if connection.vendor != "postgresql" else C0[1:]) + "after"
    model.objects.filter(pk=rows[model].pk).update(**{field: bad})
    texts = []
    for url in feed_urls(section, asha):
        response = client.get(url)
        assert response.status_code == 200, url
        root = lxml.etree.fromstring(response.content)  # a strict XML parser: raises on error
        texts.append("".join(root.itertext()))
    # The rest of the text is kept (feeds show neither the body nor the bio).
    assert field in {"body", "bio"} or any("Before" in text and "after" in text for text in texts)


@pytest.mark.parametrize("code", range(0x20), ids=lambda code: f"U+{code:04X}")
def test_editor_text_is_stored_without_xml_illegal_characters(code):
    char = chr(code)
    section = make_section(name=f"Nat{char}ion", description=f"News{char}.")
    author = make_author(name=f"Asha{char}Rao", bio=f"Writes{char}.")
    article = make_article(
        headline=f"Head{char}line",
        dek=f"One{char}sentence.",
        body=f"<p>Body{char}text.</p>",
        lead_image_alt=f"Alt{char}text",
        lead_image_caption=f"Cap{char}tion",
        lead_image_credit=f"Cre{char}dit",
        withdrawal_reason=f"Rea{char}son",
        section=section,
        authors=[author],
    )
    correction = Correction.objects.create(article=article, text=f"Fix{char}ed.")
    legal = char in "\t\n\r"
    for row, name in [
        (section, "name"), (section, "description"), (author, "name"), (author, "bio"),
        (article, "headline"), (article, "dek"), (article, "body"), (article, "lead_image_alt"),
        (article, "lead_image_caption"), (article, "lead_image_credit"),
        (article, "withdrawal_reason"), (correction, "text"),
    ]:  # fmt: skip
        row.refresh_from_db()
        stored = getattr(row, name)
        if legal:  # kept (the HTML body may turn a carriage return into a line feed)
            assert char in stored or name == "body", (name, stored)
        else:
            assert char not in stored, (name, stored)


@pytest.mark.parametrize("method", ["put", "delete", "trace", "patch", "post"])
def test_feeds_and_sitemaps_answer_405_to_anything_but_get_and_head(client, newsroom, method):
    section, asha, _, _ = newsroom
    urls = [*feed_urls(section, asha), "/sitemap.xml", "/sitemap-news.xml", "/sitemap-nation.xml"]
    for url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 405, url
        assert "GET" in response["Allow"]
    assert client.head(reverse("articles:feed-rss")).status_code == 200
