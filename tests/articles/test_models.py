from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

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
