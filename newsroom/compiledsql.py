"""The SQL of a page's hot querysets, compiled once per process and then only run.

On a page-cache miss, building a queryset and compiling it to SQL cost more than the database
took to answer: a new comment re-renders its article's thread, an edit the front page, and
their queries are the same every time but for a few values. A queryset's SQL is a function of
what built it, so it is kept under a key that names every input, as `pagecache.remembered` keys
HTML: a changed input makes another key. A moment such as "now" changes on every request, so it
is passed in as a placeholder value instead and bound afresh on each run.

A key that leaves an input out would run stale SQL, so with NEWSROOM_CHECK_COMPILED_QUERIES on
(the test settings) every run compiles the queryset again and refuses SQL that differs.
"""

import threading
from collections import OrderedDict
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections
from django.db.models.query import ValuesListIterable

# Kept per process, least recently used out: one per article page of comments shown lately.
MAX_KEPT = 2048

# Stands in for a moment while the SQL is compiled; never a moment anything is stored at.
_PLACEHOLDER_MOMENT = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


class _Compiled:
    def __init__(self, queryset):
        if queryset._iterable_class is not ValuesListIterable:
            raise ImproperlyConfigured("Only values_list() querysets are kept compiled.")
        self.using = queryset.db
        self.compiler = queryset.query.get_compiler(self.using)
        try:
            self.sql, params = self.compiler.as_sql()
        except EmptyResultSet:
            self.sql, params = None, ()
        self.params = list(params)
        placeholder = self.compiler.connection.ops.adapt_datetimefield_value(_PLACEHOLDER_MOMENT)
        self.moment_at = [n for n, value in enumerate(self.params) if value == placeholder]

    def bound(self, moment):
        params = list(self.params)
        if self.moment_at:
            if moment is None:
                raise ValueError("This query compares with a moment: pass `moment`.")
            value = connections[self.using].ops.adapt_datetimefield_value(moment)
            for n in self.moment_at:
                params[n] = value
        return params


_kept = OrderedDict()
_lock = threading.Lock()


def rows(key, build, *, moment=None):
    """Return the rows, as tuples, of the values_list() queryset `build(moment)` returns.

    Its SQL is compiled on the first call with `key` (hashable, naming every input of `build`
    but `moment`) and kept; `moment`, an aware datetime such as the page's "now", is bound on
    each run.
    """
    with _lock:
        compiled = _kept.get(key)
        if compiled is not None:
            _kept.move_to_end(key)
    if compiled is None or settings.NEWSROOM_CHECK_COMPILED_QUERIES:
        fresh = _Compiled(build(_PLACEHOLDER_MOMENT))
        if compiled is not None and (fresh.sql, fresh.params) != (compiled.sql, compiled.params):
            raise ImproperlyConfigured(
                f"The SQL kept under {key!r} is not what its queryset compiles to now: the key "
                "leaves out an input."
            )
        compiled = compiled or fresh
        with _lock:
            _kept[key] = compiled
            while len(_kept) > MAX_KEPT:
                _kept.popitem(last=False)
    if compiled.sql is None:
        return []
    with connections[compiled.using].cursor() as cursor:
        cursor.execute(compiled.sql, compiled.bound(moment))
        results = cursor.fetchall()
    compiler = compiled.compiler
    if compiler.has_extra_select:  # columns only the ordering needed, as Django drops them
        results = [row[: compiler.col_count] for row in results]
    return list(compiler.results_iter([results], tuple_expected=True))


def forget():
    """Drop every kept query (tests that change what the SQL would compile to)."""
    with _lock:
        _kept.clear()
