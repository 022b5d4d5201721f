"""Article search: ranked and highlighted on PostgreSQL, a plain filter on other databases."""

import html
import re

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.db import connection
from django.db.models import Expression, F, Func, Q, Value
from django.utils.html import escape
from django.utils.safestring import mark_safe

# The text search configuration migration 0005 builds articles_article.search_document with:
# headline weighted A, dek B, body C, kept up to date by a trigger and indexed with GIN. The column
# exists only on PostgreSQL, so it is not a model field.
CONFIG = "english"
MAX_QUERY_LENGTH = 200
# Only the newest matches are ranked: a word found in every article would otherwise make the
# database rank all of them (a results page took 176 ms for 10,000 matches, 77 ms for 1,000).
MAX_RESULTS = 1000

# Private-use characters: ts_headline marks matches with them, then everything else is escaped and
# only these become <mark>, so no HTML from an article body can reach the results page.
START, STOP = "\ue000", "\ue001"
_MARKED = re.compile(f"{START}(.*?){STOP}", re.DOTALL)


class SearchDocument(Expression):
    """The article table's search_document column, under whatever alias the query gives it."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"{table}.{connection.ops.quote_name('search_document')}", []


def clean_query(text):
    """Return the query as a reader meant it: stripped, single-spaced, without NUL characters."""
    return " ".join(text.replace("\x00", " ").split())


def search(queryset, query):
    """Return up to MAX_RESULTS of the newest articles matching the query, best match first."""
    if connection.vendor != "postgresql":
        matches = queryset.filter(
            Q(headline__icontains=query) | Q(dek__icontains=query) | Q(body__icontains=query)
        )
        return matches.order_by("-publish_at", "-pk")[:MAX_RESULTS]
    ts_query = SearchQuery(query, search_type="websearch", config=CONFIG)
    newest = (
        queryset.alias(document=SearchDocument())
        .filter(document=ts_query)
        .order_by("-publish_at")
        .values("pk")[:MAX_RESULTS]
    )
    # The body is HTML; highlight its text only, so a snippet never carries a cut-off tag.
    body_text = Func(F("body"), Value("<[^>]*>"), Value(" "), Value("g"), function="regexp_replace")
    return (
        queryset.filter(pk__in=newest)
        .alias(document=SearchDocument())
        .annotate(
            rank=SearchRank(F("document"), ts_query),
            snippet=SearchHeadline(
                body_text,
                ts_query,
                config=CONFIG,
                start_sel=START,
                stop_sel=STOP,
                max_words=30,
                min_words=12,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .order_by("-rank", "-publish_at", "-pk")
    )


def highlight(snippet):
    """Return a snippet as safe HTML in which only the matched words are wrapped in <mark>."""
    text = escape(html.unescape(snippet))
    marked = _MARKED.sub(r"<mark>\1</mark>", text)
    return mark_safe(marked.replace(START, "").replace(STOP, ""))  # noqa: S308 - escaped above
