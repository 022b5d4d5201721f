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


# --- Prepared statements (PostgreSQL) ---------------------------------------------------------


@pytest.fixture
def prepared(settings):
    """Start with no prepared statement on the connection; return a reader of the ones made:
    [(PREPARE text, runs so far)]."""
    settings.NEWSROOM_PREPARED_STATEMENTS = True
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    compiledsql._prepared.clear()

    def made():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements "
                "WHERE name LIKE 'newsroom_%' ORDER BY prepare_time"
            )
            return cursor.fetchall()

    return made


def published_rows(**options):
    return compiledsql.rows(("published-at",), published_at, moment=timezone.now(), **options)


@pytest.mark.postgres
def test_a_query_asked_to_is_prepared_once_per_connection_then_executed(prepared):
    make_article(), make_article()
    for _ in range(3):
        rows = published_rows(prepare=True)
    assert rows == list(published_at(timezone.now())) and len(rows) == 2
    [(statement, runs)] = prepared()
    assert statement.startswith("PREPARE newsroom_") and '"articles_article"' in statement
    assert runs == 3


@pytest.mark.postgres
def test_a_query_not_asked_to_is_never_prepared(prepared):
    make_article()
    published_rows()
    assert prepared() == []


@pytest.mark.postgres
def test_no_statement_is_prepared_when_turned_off(prepared, settings):
    settings.NEWSROOM_PREPARED_STATEMENTS = False
    make_article()
    assert len(published_rows(prepare=True)) == 1
    assert prepared() == []


@pytest.mark.postgres
def test_while_queries_are_logged_the_sql_itself_runs(prepared):
    make_article()
    with CaptureQueriesContext(connection) as queries:
        published_rows(prepare=True)
    [query] = queries.captured_queries
    assert query["sql"].startswith('SELECT "articles_article"."id"')
    assert prepared() == []


@pytest.mark.postgres
def test_a_query_postgresql_cannot_prepare_runs_as_sql_in_the_same_transaction(prepared):
    from django.db import transaction
    from django.db.models import Value

    article = make_article()

    def summed(_):  # "$1 + $2": nothing says their types, and PREPARE refuses to guess
        return Article.objects.annotate(total=Value(1) + Value(2)).values_list("pk", "total")

    with transaction.atomic():
        for _ in range(2):
            assert compiledsql.rows(("summed",), summed, prepare=True) == [(article.pk, 3)]
        assert Article.objects.count() == 1  # the transaction goes on
    assert prepared() == []


@pytest.mark.postgres
def test_past_the_bound_the_prepared_statements_start_again(prepared, monkeypatch):
    monkeypatch.setattr(compiledsql, "MAX_PREPARED", 2)
    article = make_article()
    for n in range(3):
        rows = compiledsql.rows(
            ("pk", n),
            lambda _, n=n: Article.objects.filter(pk=article.pk + n).values_list("pk"),
            prepare=True,
        )
        assert rows == ([(article.pk,)] if n == 0 else [])
    assert len(prepared()) == 1  # the third was prepared after the first two were dropped
    assert compiledsql.rows(
        ("pk", 0), lambda _: Article.objects.filter(pk=article.pk).values_list("pk"), prepare=True
    ) == [(article.pk,)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again(prepared):
    make_article()
    published_rows(prepare=True)
    connection.close()  # a restart, or CONN_MAX_AGE passed: the session's statements are gone
    assert len(published_rows(prepare=True)) == 1
    assert [runs for _, runs in prepared()] == [1]
