"""The SQL of a page's hot querysets, compiled once per process and then only run.

On a page-cache miss, building a queryset and compiling it to SQL cost more than the database
took to answer: a new comment re-renders its article's thread, an edit the front page, and
their queries are the same every time but for a few values. A queryset's SQL is a function of
what built it, so it is kept under a key that names every input, as `pagecache.remembered` keys
HTML: a changed input makes another key. A moment such as "now" changes on every request, so it
is passed in as a placeholder value instead and bound afresh on each run.

A key that leaves an input out would run stale SQL, so with NEWSROOM_CHECK_COMPILED_QUERIES on
(the test settings) every run compiles the queryset again and refuses SQL that differs.

On PostgreSQL a kept query asked to (`prepare=True`) is also a prepared statement of each
connection that runs it (PREPARE once, then EXECUTE): planning the front page's ranking took
PostgreSQL longer than running it. psycopg2 binds parameters in the client and never prepares,
so we do. Only for queries whose parameters are moments and sizes: after five runs PostgreSQL
may keep one generic plan for all values, and for a query by an id whose rows differ by the
thousand (an article's thread) that plan read 100,000 comments to find 50. NEWSROOM_PREPARED_
STATEMENTS turns it off (a pooler in transaction mode, such as PgBouncer's, hands each
transaction another server connection). While queries are logged (DEBUG, or a test counting
them) the SQL is run as it is, so the log shows what ran.
"""

import hashlib
import re
import threading
import weakref
from collections import OrderedDict
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import DatabaseError, connections, transaction
from django.db.models.query import ValuesListIterable

# Kept per process, least recently used out: one per article page of comments shown lately.
MAX_KEPT = 2048

# Stands in for a moment while the SQL is compiled; never a moment anything is stored at.
_PLACEHOLDER_MOMENT = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


class _Compiled:
    def __init__(self, queryset, *, prepare):
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
        self.statement = None  # its PREPARE and EXECUTE texts, when it may be prepared
        if prepare and self.sql is not None and self.compiler.connection.vendor == "postgresql":
            self.statement = _statement(self.sql, len(self.params))

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


def rows(key, build, *, moment=None, prepare=False):
    """Return the rows, as tuples, of the values_list() queryset `build(moment)` returns.

    Its SQL is compiled on the first call with `key` (hashable, naming every input of `build`
    but `moment`) and kept; `moment`, an aware datetime such as the page's "now", is bound on
    each run. `prepare`: run it as a prepared statement where the database has them (see
    above for the queries that may).
    """
    with _lock:
        compiled = _kept.get(key)
        if compiled is not None:
            _kept.move_to_end(key)
    if compiled is None or settings.NEWSROOM_CHECK_COMPILED_QUERIES:
        fresh = _Compiled(build(_PLACEHOLDER_MOMENT), prepare=prepare)
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
    connection = connections[compiled.using]
    with connection.cursor() as cursor:
        if _may_prepare(connection, compiled):
            cursor.execute(compiled.statement.execute, compiled.bound(moment))
        else:
            cursor.execute(compiled.sql, compiled.bound(moment))
        results = cursor.fetchall()
    compiler = compiled.compiler
    if compiler.has_extra_select:  # columns only the ordering needed, as Django drops them
        results = [row[: compiler.col_count] for row in results]
    return list(compiler.results_iter([results], tuple_expected=True))


class _Statement:
    def __init__(self, name, prepare, execute):
        self.name, self.prepare, self.execute = name, prepare, execute


def _statement(sql, param_count):
    """Return the PREPARE and EXECUTE texts of Django's SQL with `param_count` %s parameters."""
    numbers = iter(range(1, param_count + 1))
    # Django's SQL escapes a literal % as %%; a PREPARE sent without parameters takes it plain.
    numbered = re.sub(r"%[%s]", lambda m: "%" if m[0] == "%%" else f"${next(numbers)}", sql)
    name = "newsroom_" + hashlib.sha256(sql.encode()).hexdigest()[:24]
    arguments = f" ({', '.join(['%s'] * param_count)})" if param_count else ""
    return _Statement(name, f"PREPARE {name} AS {numbered}", f"EXECUTE {name}{arguments}")


# Prepared statements by server connection (a psycopg2 connection): a new connection starts
# with none. At most MAX_PREPARED per connection; past that they are all dropped and prepared
# again as they are used.
MAX_PREPARED = 256
_prepared = weakref.WeakKeyDictionary()
_prepared_lock = threading.Lock()


def _may_prepare(connection, compiled):
    """Return True once `compiled` is a prepared statement of the connection's session."""
    statement = compiled.statement
    if statement is None or not settings.NEWSROOM_PREPARED_STATEMENTS or connection.queries_logged:
        return False
    session = connection.connection
    with _prepared_lock:
        names = _prepared.setdefault(session, set())
        if statement.name in names:
            return True
    try:
        # A savepoint inside a transaction: a PREPARE that fails must not abort it. A PREPARE
        # outlives the transaction it ran in, even one rolled back, as long as it succeeded.
        with transaction.atomic(using=compiled.using), session.cursor() as cursor:
            if len(names) >= MAX_PREPARED:
                cursor.execute("DEALLOCATE ALL")
                names.clear()
            cursor.execute(statement.prepare)
    except (DatabaseError, connection.Database.Error):
        compiled.statement = None  # run as plain SQL from now on
        return False
    with _prepared_lock:
        names.add(statement.name)
    return True


def forget():
    """Drop every kept query (tests that change what the SQL would compile to)."""
    with _lock:
        _kept.clear()
