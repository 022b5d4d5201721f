"""Every list readers see has an index that leads with its filter and sort columns.

Checked on PostgreSQL through the database's own catalogue. (Which index the planner picks for a
handful of test rows depends on table statistics, so plans are not asserted here.)
"""

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def index_columns(table):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [c["columns"] for c in constraints.values() if c["index"]]


def test_home_list_has_a_status_and_publication_time_index():
    assert ["status", "publish_at"] in index_columns("articles_article")


def test_section_list_has_a_section_status_and_publication_time_index():
    assert ["section_id", "status", "publish_at"] in index_columns("articles_article")


def test_author_list_has_an_index_led_by_the_author():
    assert any(columns[:1] == ["author_id"] for columns in index_columns("articles_articleauthor"))


def test_feed_freshness_check_has_an_index_on_the_last_save():
    assert ["updated_at"] in index_columns("articles_article")
