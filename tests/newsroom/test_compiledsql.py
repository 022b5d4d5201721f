"""Hot querysets compiled once per process: the same rows as Django's own evaluation, a moment
bound afresh on each run, and a key that leaves out an input refused in tests."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from newsroom import compiledsql
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def published_at(moment):
    return Article.objects.published(moment).order_by("pk").values_list("pk", "publish_at")


def test_rows_are_djangos_own_with_the_moment_bound_on_each_run(settings):
    settings.NEWSROOM_CHECK_COMPILED_QUERIES = False
    now = timezone.now()
    earlier = make_article(publish_at=now - timedelta(days=2))
    later = make_article(publish_at=now - timedelta(hours=1))
    make_article(publish_at=now + timedelta(days=1))

    for moment, expected in [
        (now, [earlier, later]),
        (now - timedelta(days=1), [earlier]),
        (now - timedelta(days=3), []),
    ]:
        rows = compiledsql.rows(("published-at",), published_at, moment=moment)
        assert rows == list(published_at(moment))
        assert [pk for pk, _ in rows] == [article.pk for article in expected]
    # Converted as Django converts them (SQLite stores text): aware datetimes.
    rows = compiledsql.rows(("published-at",), published_at, moment=now)
    assert rows[0][1] == earlier.publish_at


def test_the_queryset_is_built_and_compiled_once_per_key(settings, compiles):
    settings.NEWSROOM_CHECK_COMPILED_QUERIES = False
    make_article()
    built = []

    def build(moment):
        built.append(moment)
        return published_at(moment)

    for _ in range(3):
        compiledsql.rows(("published-at",), build, moment=timezone.now())
    assert len(built) == 1 and len(compiles) == 1
    compiledsql.rows(("published-at", "another key"), build, moment=timezone.now())
    assert len(built) == 2


def test_each_run_is_one_query():
    make_article()
    compiledsql.rows(("published-at",), published_at, moment=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        compiledsql.rows(("published-at",), published_at, moment=timezone.now())
    assert len(queries) == 1


def test_a_key_that_leaves_out_an_input_is_refused_when_checking():
    first, second = make_article(), make_article()

    def only(article):
        return lambda _: Article.objects.filter(pk=article.pk).values_list("headline")

    assert compiledsql.rows(("headline",), only(first)) == [(first.headline,)]
    with pytest.raises(ImproperlyConfigured, match="leaves out an input"):
        compiledsql.rows(("headline",), only(second))
    assert compiledsql.rows(("headline", second.pk), only(second)) == [(second.headline,)]


def test_a_query_with_a_moment_needs_one():
    with pytest.raises(ValueError, match="moment"):
        compiledsql.rows(("published-at",), published_at)


def test_columns_only_the_ordering_needed_are_not_returned():
    make_article(headline="beta")
    make_article(headline="Alpha")

    def build(_):
        return Article.objects.order_by(Lower("headline")).values_list("pk")

    rows = compiledsql.rows(("by-lower-headline",), build)
    assert rows == list(build(None)) and all(len(row) == 1 for row in rows)


def test_a_query_that_can_match_nothing_runs_no_sql():
    with CaptureQueriesContext(connection) as queries:
        rows = compiledsql.rows(
            ("none",), lambda _: Article.objects.filter(pk__in=[]).values_list()
        )
    assert rows == [] and len(queries) == 0


def test_only_values_list_querysets_are_kept():
    with pytest.raises(ImproperlyConfigured, match="values_list"):
        compiledsql.rows(("instances",), lambda _: Article.objects.all())


def test_the_most_recently_used_are_kept(monkeypatch, settings, compiles):
    settings.NEWSROOM_CHECK_COMPILED_QUERIES = False
    monkeypatch.setattr(compiledsql, "MAX_KEPT", 2)

    def run(n):
        compiledsql.rows(("pk", n), lambda _: Article.objects.filter(pk=n).values_list("pk"))

    run(1), run(2), run(1), run(3)  # 2 is the least recently used: dropped
    compiles.clear()
    run(1), run(3)
    assert compiles == []
    run(2)
    assert len(compiles) == 1
