"""Article, section and author URLs are reversed once per process, and never stale."""

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from newsroom.reversing import cached_reverse
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def urls_of(article):
    return [
        article.get_absolute_url(),
        article.section.get_absolute_url(),
        article.byline_authors[0].get_absolute_url(),
    ]


def test_model_urls_are_the_ones_reverse_gives():
    article = make_article()
    day = article.dateline
    assert urls_of(article) == [
        reverse(
            "articles:detail",
            kwargs={
                "year": f"{day.year:04d}",
                "month": f"{day.month:02d}",
                "day": f"{day.day:02d}",
                "slug": article.slug,
            },
        ),
        reverse("articles:section", kwargs={"slug": article.section.slug}),
        reverse("articles:author", kwargs={"slug": article.byline_authors[0].slug}),
    ]


def test_a_remembered_url_follows_the_script_prefix():
    article = make_article()
    plain = urls_of(article)
    set_script_prefix("/edition/")
    try:
        assert urls_of(article) == ["/edition" + url for url in plain]
    finally:
        clear_script_prefix()
    assert urls_of(article) == plain


def test_a_remembered_url_follows_a_change_of_url_configuration(settings):
    article = make_article()
    plain = urls_of(article)
    settings.ROOT_URLCONF = "tests.newsroom.prefixed_urls"
    assert urls_of(article) == ["/news" + url for url in plain]
    settings.ROOT_URLCONF = "newsroom.urls"
    assert urls_of(article) == plain


def test_keyword_order_does_not_matter():
    one = cached_reverse(
        "articles:detail", kwargs={"year": "2024", "month": "01", "day": "02", "slug": "a"}
    )
    other = cached_reverse(
        "articles:detail", kwargs={"slug": "a", "day": "02", "month": "01", "year": "2024"}
    )
    assert one == other == "/2024/01/02/a/"
