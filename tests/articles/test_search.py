"""Search: a header box, published results only, safe echoes and snippets, friendly edge cases."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import search
from articles.models import Article
from tests.factories import make_article, make_articles, make_hidden_articles

pytestmark = pytest.mark.django_db

URL = reverse("articles:search")


def results(client, query, **params):
    response = client.get(URL, {"q": query, **params})
    assert response.status_code == 200
    return response, [article.headline for article in response.context["article_list"]]


def test_every_page_has_a_labelled_search_box_in_the_header(client):
    source = client.get(reverse("articles:home")).content.decode()
    # Named, so it stays distinct from the search page's own search landmark.
    assert (
        f'<form class="site-search" role="search" aria-label="Site" action="{URL}" method="get">'
        in source
    )
    assert '<label class="visually-hidden" for="site-search-q">Search articles</label>' in source
    assert 'name="q" maxlength="200"' in source


def test_search_finds_words_in_the_headline_summary_or_body(client):
    in_headline = make_article(headline="Harbour dredging begins")
    in_dek = make_article(dek="Work on the harbour starts next week.")
    in_body = make_article(body="<p>Fishermen welcomed the new harbour wall.</p>")
    make_article(headline="Unrelated council vote")
    _, found = results(client, "harbour")
    assert sorted(found) == sorted([in_headline.headline, in_dek.headline, in_body.headline])


def test_search_keeps_the_query_in_the_box_and_results_page(client):
    make_article(headline="Harbour dredging begins")
    response, _ = results(client, "harbour")
    source = response.content.decode()
    assert 'value="harbour"' in source
    assert "1 article matches “harbour”." in source
    assert "<title>Search: harbour | The Newsroom</title>" in source
    assert '<meta name="robots" content="noindex">' in source


def test_the_query_is_echoed_escaped(client):
    query = '<script>alert("x")</script>'
    response, found = results(client, query)
    source = response.content.decode()
    assert found == []
    assert "<script>alert" not in source
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in source


@pytest.mark.parametrize("query", ["", "    ", "\x00"])
def test_an_empty_query_gets_a_friendly_prompt(client, query):
    make_article()
    response, found = results(client, query)
    assert found == []
    assert "Type a few words to search every published article" in response.content.decode()


def test_an_absurdly_long_query_gets_a_friendly_answer(client):
    make_article(headline="Harbour dredging begins")
    with CaptureQueriesContext(connection) as queries:
        response, found = results(client, "harbour " * 40)
    assert found == []
    assert "That search is too long. Please use up to 200 characters" in response.content.decode()
    assert not any("harbour" in query["sql"].lower() for query in queries)


def test_a_query_with_a_nul_character_is_answered(client):
    make_article(headline="Harbour dredging begins")
    _, found = results(client, "harbour\x00")
    assert found == ["Harbour dredging begins"]


def test_results_are_paginated_and_pages_keep_the_query(client, settings):
    make_articles(14, headline="Monsoon report")
    response, found = results(client, "monsoon")
    assert len(found) == 12
    assert 'href="?q=monsoon&amp;page=2" rel="next"' in response.content.decode()
    _, found = results(client, "monsoon", page=2)
    assert len(found) == 2
    assert client.get(URL, {"q": "monsoon", "page": 9}).status_code == 404


def test_search_runs_the_same_few_queries_whatever_the_number_of_matches(client):
    make_article(headline="Monsoon report")
    with CaptureQueriesContext(connection) as few:
        results(client, "monsoon")
    make_articles(20, headline="Monsoon report")
    with CaptureQueriesContext(connection) as many:
        results(client, "monsoon")
    # A count, a page of articles, their bylines, and the navigation's sections.
    assert len(few) == len(many) == 4


def test_no_hidden_article_in_search_results(client):
    shown = make_article(headline="Embargoed budget figures leak")
    hidden = make_hidden_articles(body="<p>The embargoed budget figures.</p>")
    _, found = results(client, "embargoed")
    assert found == [shown.headline]
    for way, article in hidden.items():
        assert article.headline not in found, way


def test_scheduled_article_is_found_once_its_time_comes(client):
    scheduled = make_hidden_articles(body="<p>The embargoed budget figures.</p>")["scheduled"]
    _, found = results(client, "embargoed")
    assert found == []
    with mock.patch("django.utils.timezone.now", return_value=scheduled.publish_at):
        _, found = results(client, "embargoed")
    assert found == [scheduled.headline]


def test_highlight_escapes_everything_but_its_own_marks():
    snippet = (
        f"the {search.START}harbour{search.STOP} &amp; <script>alert(1)</script> {search.START}wall"
    )
    assert search.highlight(snippet) == (
        "the <mark>harbour</mark> &amp; &lt;script&gt;alert(1)&lt;/script&gt; wall"
    )


# --- PostgreSQL full-text search ---------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_ranks_headline_above_summary_above_body(client):
    now = make_article().publish_at
    # The newest article has the word only in its body: rank, not date, puts it last.
    body = make_article(body="<p>A tide of protest.</p>", publish_at=now)
    dek = make_article(dek="Tide tables change.", publish_at=now - timedelta(hours=1))
    headline = make_article(headline="Record tide expected", publish_at=now - timedelta(hours=2))
    _, found = results(client, "tide")
    assert found == [headline.headline, dek.headline, body.headline]


@pytest.mark.postgres
def test_postgres_snippets_mark_matches_and_never_pass_body_html(client):
    make_article(
        headline="Council meeting",
        body=(
            "<p>The <em>harbour</em> wall &amp; the pier were discussed.</p>"
            "<p>Someone typed &lt;script&gt;alert(1)&lt;/script&gt; near the harbour notes.</p>"
        ),
    )
    response, _ = results(client, "harbour")
    source = response.content.decode()
    snippet = source.split('<p class="search-snippet">')[1].split("</p>")[0]
    assert "<mark>harbour</mark>" in snippet
    assert "&amp;" in snippet
    assert "<em>" not in snippet and "<script>" not in snippet
    assert "&lt;script&gt;" in snippet


@pytest.mark.postgres
def test_postgres_search_uses_the_gin_index():
    make_article(headline="Harbour dredging begins")
    # Unfiltered, so that only an index on the search expression itself can serve the query.
    queryset = search.search(Article.objects.all(), "harbour")
    with connection.cursor() as cursor:
        # So few rows would rightly be scanned; forbid that to see whether the index matches.
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "article_search_gin" in plan, plan


def test_only_the_newest_matches_are_ranked_and_the_reader_is_told(client, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 3)
    articles = [make_article(headline=f"Monsoon report {n}") for n in range(5)]
    newest = sorted(articles, key=lambda article: article.publish_at)[-3:]
    response, found = results(client, "monsoon")
    assert sorted(found) == sorted(article.headline for article in newest)
    assert "Over 3 articles match “monsoon”" in response.content.decode()
