"""The lists readers see are served by indexes, not table scans (checked on PostgreSQL)."""

import pytest
from django.db import connection

from articles.models import Article
from tests.factories import make_article, make_author, make_section

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plan(queryset):
    with connection.cursor() as cursor:
        # So few rows would rightly be scanned; forbid that to see which index the plan can use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def articles():
    section, author = make_section(), make_author()
    for _ in range(5):
        make_article(section=section, authors=[author])
    return section, author


def test_home_list_uses_the_status_publish_index(articles):
    assert "article_status_publish" in plan(Article.objects.published()[:12])


def test_section_list_uses_the_section_publish_index(articles):
    section, _ = articles
    assert "article_section_publish" in plan(
        Article.objects.published().filter(section=section)[:12]
    )


def test_author_list_has_an_index_led_by_the_author():
    # Which index the planner picks for this join depends on table sizes; what matters is that
    # one exists to find an author's bylines without scanning every byline.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "articles_articleauthor")
    assert any(c["index"] and c["columns"][:1] == ["author_id"] for c in constraints.values()), (
        constraints
    )
