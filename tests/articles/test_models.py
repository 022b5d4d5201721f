import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import models
from django.utils import timezone
from django.utils.feedgenerator import rfc2822_date

from articles.models import Article
from tests.factories import make_article, make_author

pytestmark = pytest.mark.django_db


def test_published_includes_only_published_articles_whose_time_has_come():
    now = timezone.now()
    visible = make_article(publish_at=now - timedelta(minutes=1))
    make_article(publish_at=now + timedelta(minutes=1))  # scheduled
    make_article(status=Article.Status.DRAFT, publish_at=None)
    make_article(status=Article.Status.DRAFT, publish_at=now - timedelta(days=1))
    make_article(status=Article.Status.IN_REVIEW, publish_at=now - timedelta(days=1))
    make_article(publish_at=None)  # published without a time is not visible yet

    assert list(Article.objects.published(now=now)) == [visible]


def test_scheduled_article_becomes_visible_when_its_time_comes_without_a_job():
    publish_at = timezone.now() + timedelta(hours=2)
    article = make_article(publish_at=publish_at)

    assert not Article.objects.published(now=publish_at - timedelta(seconds=1)).exists()
    assert not article.is_published(now=publish_at - timedelta(seconds=1))
    assert article.is_scheduled(now=publish_at - timedelta(seconds=1))
    assert list(Article.objects.published(now=publish_at)) == [article]
    assert article.is_published(now=publish_at)


def test_is_published_agrees_with_published_queryset():
    now = timezone.now()
    articles = [
        make_article(publish_at=now - timedelta(days=1)),
        make_article(publish_at=now + timedelta(days=1)),
        make_article(status=Article.Status.DRAFT, publish_at=None),
        make_article(status=Article.Status.IN_REVIEW, publish_at=now - timedelta(days=1)),
    ]
    published_ids = set(Article.objects.published(now=now).values_list("pk", flat=True))
    assert {a.pk for a in articles if a.is_published(now=now)} == published_ids


def test_canonical_url_carries_the_local_publication_date():
    # 20:54 UTC on the 23rd is already the 24th in India.
    article = make_article(slug="talks", publish_at=datetime(2023, 10, 23, 20, 54, tzinfo=UTC))
    assert article.get_absolute_url() == "/2023/10/24/talks/"


def test_byline_authors_keep_their_order():
    first, second = make_author(name="Zoe Byline"), make_author(name="Adam Byline")
    article = make_article(authors=[first, second])
    assert Article.objects.with_byline().get(pk=article.pk).byline_authors == [first, second]


# --- Editors' workflow fields ----------------------------------------------------------------


def test_first_published_is_copied_from_publish_at_for_articles_created_published():
    at = timezone.now() - timedelta(days=2)
    assert make_article(publish_at=at).first_published_at == at
    assert make_article(status=Article.Status.DRAFT, publish_at=at).first_published_at is None


# --- One definition of an article's dates ------------------------------------------------------


def dated_articles(now):
    """Articles whose dates differ in each way the definition has to handle."""
    backdated = make_article(publish_at=now - timedelta(hours=1))
    Article.objects.filter(pk=backdated.pk).update(publish_at=now - timedelta(days=3))
    republished = make_article(publish_at=now - timedelta(days=5))
    Article.objects.filter(pk=republished.pk).update(publish_at=now - timedelta(hours=2))
    return {
        "plain": make_article(publish_at=now - timedelta(days=1)),
        "updated": make_article(
            publish_at=now - timedelta(days=2), material_update_at=now - timedelta(hours=5)
        ),
        "backdated": Article.objects.get(pk=backdated.pk),
        "republished": Article.objects.get(pk=republished.pk),
        "scheduled": make_article(publish_at=now + timedelta(days=1)),
        "draft": make_article(status=Article.Status.DRAFT, publish_at=None),
    }


def test_first_published_honours_a_publication_time_set_in_the_past():
    now = timezone.now()
    articles = dated_articles(now)
    assert articles["plain"].first_published == now - timedelta(days=1)
    # An editor moved the publication time back after publishing: their time wins.
    assert articles["backdated"].first_published == now - timedelta(days=3)
    # Published again later: readers first saw it five days ago, and the URL keeps that date.
    republished = articles["republished"]
    assert republished.first_published == now - timedelta(days=5)
    assert republished.dateline == timezone.localdate(now - timedelta(days=5))
    assert articles["scheduled"].first_published == now + timedelta(days=1)
    assert articles["draft"].first_published is None


def test_last_changed_is_the_material_update_else_the_first_publication():
    now = timezone.now()
    articles = dated_articles(now)
    assert articles["updated"].last_changed == now - timedelta(hours=5)
    assert articles["backdated"].last_changed == now - timedelta(days=3)
    assert articles["draft"].last_changed is None


def test_with_dates_gives_sql_the_same_dates_as_the_properties():
    articles = dated_articles(timezone.now())
    in_sql = {
        pk: (first, last)
        for pk, first, last in Article.objects.with_dates()
        .annotate(first=models.F("first_published"), last=models.F("last_changed"))
        .values_list("pk", "first", "last")
    }
    assert in_sql == {a.pk: (a.first_published, a.last_changed) for a in articles.values()}
    newest_first = Article.objects.with_dates().exclude(first_published=None)
    assert [a.pk for a in newest_first.order_by("-first_published")] == [
        a.pk
        for a in sorted(
            (a for a in articles.values() if a.first_published),
            key=lambda a: a.first_published,
            reverse=True,
        )
    ]


def test_every_surface_shows_a_backdated_articles_date(client):
    now = timezone.now().replace(microsecond=0)
    article = make_article(headline="Backdated story", publish_at=now - timedelta(hours=1))
    backdated = now - timedelta(hours=30)
    Article.objects.filter(pk=article.pk).update(publish_at=backdated)
    article.refresh_from_db()
    local = timezone.localtime(backdated)
    w3c = local.isoformat()

    html = client.get(article.get_absolute_url()).content.decode()
    assert f'<time datetime="{local.isoformat()}">' in html  # the byline
    assert f'"datePublished": "{w3c}"' in html and f'"dateModified": "{w3c}"' in html
    assert f'property="article:published_time" content="{w3c}"' in html
    assert f'property="article:modified_time" content="{w3c}"' in html
    rss = client.get("/feed/rss/").content.decode()
    assert f"<pubDate>{rfc2822_date(backdated)}</pubDate>" in rss
    sitemap = client.get("/sitemap-articles.xml").content.decode()
    assert f"<lastmod>{w3c}</lastmod>" in sitemap
    news = client.get("/sitemap-news.xml").content.decode()
    assert f"<news:publication_date>{w3c}</news:publication_date>" in news


def lead_image_article(settings, tmp_path, width, height):
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    article = make_article()
    article.lead_image.save("scene.png", ContentFile(buffer.getvalue()))
    article.build_renditions()  # as tasks.build_renditions does after an editor's upload
    return article


@pytest.mark.parametrize(
    "name, size",
    [
        ("article", (1200, 900)),
        ("card", (600, 338)),
        ("social_16x9", (1200, 675)),
        ("social_4x3", (1200, 900)),
        ("social_1x1", (1200, 1200)),
    ],
)
def test_renditions_are_jpegs_of_the_promised_size(settings, tmp_path, name, size):
    from PIL import Image

    article = lead_image_article(settings, tmp_path, 2000, 1500)
    rendition = article.get_rendition(name)
    assert (rendition.width, rendition.height) == size
    assert rendition.url.startswith("/media/renditions/") and rendition.url.endswith(".jpg")
    stored = tmp_path / rendition.url.removeprefix("/media/")
    with Image.open(stored) as picture:
        assert picture.size == size and picture.format == "JPEG"


def test_renditions_are_made_once_and_the_article_picture_is_never_upscaled(settings, tmp_path):
    article = lead_image_article(settings, tmp_path, 1000, 500)
    first = article.get_rendition("article")
    assert (first.width, first.height) == (1000, 500)
    stored = tmp_path / first.url.removeprefix("/media/")
    modified = stored.stat().st_mtime_ns
    assert article.get_rendition("article") == first
    assert stored.stat().st_mtime_ns == modified


def test_a_rendition_takes_the_pictures_size_from_its_row_without_opening_it(
    settings, tmp_path, monkeypatch
):
    from django.db.models.fields.files import ImageFieldFile

    from articles.models import Article

    built = lead_image_article(settings, tmp_path, 1000, 500)
    article = Article.objects.get(pk=built.pk)  # as a page loads it

    def opened(self, *args, **kwargs):
        raise AssertionError("the picture was opened to learn its size")

    monkeypatch.setattr(ImageFieldFile, "_get_image_dimensions", opened)
    rendition = article.get_rendition("article")
    assert (rendition.width, rendition.height) == (1000, 500) and not rendition.is_placeholder


def test_no_rendition_without_a_lead_image():
    assert make_article().get_rendition("card") is None


def test_list_card_shows_the_card_rendition(client, settings, tmp_path):
    article = lead_image_article(settings, tmp_path, 1600, 900)
    article.lead_image_alt = "A red square"
    article.save()
    html = client.get(article.section.get_absolute_url()).content.decode()
    card = article.get_rendition("card")
    image = re.search(r'<img class="article-card-image"[^>]*>', html).group(0)
    assert f'src="{card.url}"' in image and f"{card.url} 600w" in image
    assert 'width="600" height="338" alt="A red square"' in image


def front_page_by_hand(now, *, latest=6, per_section=3):
    """The front page as ArticleQuerySet.front_page defines it, from every visible story."""
    newest = sorted(
        Article.objects.published(now), key=lambda a: (a.publish_at, a.pk), reverse=True
    )
    lead = next((a for a in newest if a.is_front_lead), newest[0] if newest else None)
    rest = [a for a in newest if a != lead]
    shown = {lead, *rest[:latest]}
    by_section = {}
    for section in sorted({a.section for a in newest}, key=lambda s: (s.order, s.name)):
        block = [a for a in newest if a.section == section and a not in shown][:per_section]
        if block:
            by_section[section] = block
    return lead, rest[:latest], by_section


@pytest.mark.parametrize("seed", range(12))
def test_front_page_picks_what_its_definition_says_whatever_the_mix_of_stories(seed):
    import random

    from tests.factories import make_section

    chance = random.Random(seed)
    now = timezone.now()
    # Sections sharing an order fall back to their names; stories sharing a time, to their ids.
    sections = [make_section(name=f"Desk {n}", order=chance.choice([1, 2])) for n in "DCBA"]
    for _ in range(chance.randint(0, 40)):
        make_article(
            section=chance.choice(sections),
            publish_at=now - timedelta(hours=chance.randint(1, 12)),
            is_front_lead=chance.random() < 0.15,
        )
    # Picks readers cannot see yet never lead.
    make_article(section=sections[0], publish_at=now + timedelta(hours=1), is_front_lead=True)
    make_article(section=sections[0], status=Article.Status.DRAFT, is_front_lead=True)

    for latest, per_section in [(6, 3), (2, 1)]:
        front_page = Article.objects.front_page(now, latest=latest, per_section=per_section)
        assert (
            front_page.lead,
            front_page.latest,
            front_page.section_blocks,
        ) == front_page_by_hand(now, latest=latest, per_section=per_section)
