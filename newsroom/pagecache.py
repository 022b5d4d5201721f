"""Whole pages for anonymous readers, rendered once and served from memory or the shared cache.

A cached page is valid while the *generations* it was rendered under are current. A generation
is a random value per scope, replaced whenever something in that scope changes:

- "site": articles, sections, authors, bylines and corrections. Every page depends on it.
- "article:<slug>": the article's comments. Its article and print pages depend on it.

Invalidating is one cache write, and the next request of every page in the scope renders afresh:
no key listing, no TTL to wait out. Time-driven changes (a scheduled article falling due, an
article's comments closing) are handled by storing the page only until that moment. The same
call bans the scopes' pages from the HTTP caches in front (newsroom.frontcache), so Varnish
forgets them within the second too.

Where a page lives, nearest first:

1. each worker's memory (`PageCacheMiddleware`, a bounded LRU, NEWSROOM_PAGE_MEMORY_MB): the
   page's bytes, compressed once per encoding (gzip, and brotli when the client accepts it),
   with the headers it was sent with. A hit needs only the page's generations, which the
   worker holds itself, kept exact by Redis's client tracking (newsroom.cache.TrackedValues):
   an approval on one server retires the page on every server at the next request;
2. the shared cache (Redis), where the first worker to render a page leaves it for the others.

Every anonymous reader gets the same bytes: no CSRF token and no signed form timestamp are in a
cached page (see SECURITY.md, "Cached pages and forms"), so shared HTTP caches may keep them and
they carry no `Vary: Cookie`. A reader with anything personal to see (signed in, or a session
holding data such as a pending comment) is never served a cached page, and their page is marked
private and never stored.

The cache is an accelerator, never a dependency: while it cannot be reached (newsroom.cache
raises CacheUnavailable), pages are rendered from the database and marked `X-Page-Cache:
bypass`, pages in a worker's memory are not served (nothing can say they are current), and an
invalidation that could not be written never fails the write that caused it. Every process that
saw the outage replaces the site generation when the cache answers again, so no page stored
before the outage can outlive a change made during it.
"""

import functools
import gzip
import hashlib
import logging
import pickle
import secrets
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import http_date, parse_etags

from newsroom import frontcache
from newsroom.cache import (
    CacheUnavailable,
    get_many_tracked,
    on_reconnect,
    replace_tracked,
)

try:
    import brotli
except ImportError:  # optional: pages are still served gzip-compressed
    brotli = None

logger = logging.getLogger(__name__)

GENERATION_PREFIX = "pagecache:generation:"
PAGE_PREFIX = "pagecache:page:"
FRAGMENT_PREFIX = "pagecache:fragment:"
SITE = "site"

# Headers every response of a page gets again from memory; these are the page's own or the
# reader's, set per response.
_PER_RESPONSE_HEADERS = {
    "content-length",
    "content-encoding",
    "vary",
    "etag",
    "last-modified",
    "cache-control",
    "expires",
    "date",
    "x-page-cache",
    "surrogate-control",
    "surrogate-key",
}


def article_scope(slug):
    return f"article:{slug}"


# --- Invalidation -----------------------------------------------------------------------------


def _replace_generations(scopes):
    try:
        # Workers hold generations they read with client tracking (read_generations): once
        # this returns, the invalidation is on each worker's socket for its next request.
        replace_tracked({GENERATION_PREFIX + scope: secrets.token_hex(8) for scope in scopes})
    except CacheUnavailable:
        # Made good by _retire_every_page once the cache is back.
        logger.warning("Page cache unreachable; %s retired when it returns", ", ".join(scopes))


def _replace_everywhere(scopes):
    _replace_generations(scopes)
    frontcache.ban(scopes)


@on_reconnect
def _retire_every_page():
    """Replace the site generation, which every page depends on, after an outage."""
    _replace_everywhere([SITE])


def invalidate(*scopes):
    """Retire every cached page of the scopes, now and again when the transaction commits.

    Now, so this request and anything later sees fresh pages; at commit, so a page rendered by
    another request from the not yet committed data cannot stay in the cache. The HTTP caches in
    front are banned at commit too (and now, outside a transaction).
    """
    _replace_generations(scopes)
    transaction.on_commit(lambda: _replace_everywhere(scopes))


def invalidate_site():
    invalidate(SITE)


def invalidate_article(slug):
    invalidate(article_scope(slug))


def read_generations(scopes, *, tracked=False):
    """Return the current generation of each scope, None for one that is not set.

    `tracked`, for a hit from this worker's memory: from the values Redis keeps exact in this
    process (newsroom.cache, client tracking), so most hits ask Redis nothing. Raises
    CacheUnavailable when the shared cache cannot be reached.
    """
    keys = [GENERATION_PREFIX + scope for scope in scopes]
    found = get_many_tracked(keys) if tracked else cache.get_many(keys)
    return [found.get(key) for key in keys]


# --- What the views tell the cache ------------------------------------------------------------


def is_rendering_for_cache(request):
    return getattr(request, "_pagecache_render", False)


def shared_page_context(request):
    """Return the template context that keeps per-reader values out of a page being cached.

    Templates leave out `{% csrf_token %}` when `is_shared_page` is set (asking for a token sets
    a cookie); the comment form on a cached page is protected by its origin instead.
    """
    return {"is_shared_page": True} if is_rendering_for_cache(request) else {}


def rendered_at_value(request):
    """Return the spam-trap timestamp a form should carry: none on a page to cache.

    Our script asks for one when the reader starts writing (newsroom.spamtraps.stamp).
    """
    if is_rendering_for_cache(request):
        return ""
    from newsroom.spamtraps import sign_render_time

    return sign_render_time()


def site_fragment(request, name, render):
    """Return `render()`, kept in the shared cache and this worker's memory until the site's
    generation changes.

    For the part of a page being cached that only site changes alter (an article page's header,
    body and metadata): a new comment re-renders the page around it, not the part itself.
    Outside a cache render it just renders; a None from `render()` is never kept.
    """
    generation = getattr(request, "_pagecache_site_generation", None)
    if not is_rendering_for_cache(request) or generation is None:
        return render()
    raw = f"{_site_language()}|{request.get_host()}{name}"
    key = FRAGMENT_PREFIX + hashlib.sha256(raw.encode()).hexdigest()
    # This worker's copy first: the generation was just read from the shared cache, so a copy
    # of the current generation is exact, and saves fetching and unpickling the fragment.
    kept = memory.get(key)
    if kept is not None and kept["generation"] == generation:
        return kept["value"]
    try:
        kept = cache.get(key)
    except CacheUnavailable:
        return render()
    if kept is None or kept["generation"] != generation:
        kept = {"generation": generation, "value": render()}
        if kept["value"] is None:
            return None
        try:
            cache.set(key, kept, settings.NEWSROOM_PAGE_CACHE_SECONDS)
        except CacheUnavailable:
            return kept["value"]  # the page around it is not stored either
    memory.put(key, {**kept, "size": len(pickle.dumps(kept["value"])), "encodings": {}})
    return kept["value"]


def remembered(key, render):
    """Return `render()`, kept in this worker's memory under `key`: everything the HTML shows.

    For HTML that is a function of rows already loaded (an article's card): a changed row makes
    another key, so a kept copy is exact without any generation, and a site change re-renders
    only what changed. `key` must be hashable and name every input of `render`.
    """
    if not memory.max_bytes:
        return render()
    key = ("remembered", *key)
    kept = memory.get(key)
    if kept is None:
        kept = {"value": render(), "encodings": {}}
        # The key's text counts too: a thread's key holds its comments' bodies.
        kept["size"] = len(kept["value"]) + _text_size(key)
        memory.put(key, kept)
    return kept["value"]


def _text_size(value):
    """Return the length of the strings in `value` and in the tuples nested in it."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, tuple):
        return sum(_text_size(item) for item in value)
    return 0


def valid_until(request, moment):
    """Keep the page being rendered in the cache no later than `moment` (a datetime)."""
    if moment is None:
        return
    current = getattr(request, "_pagecache_valid_until", None)
    if current is None or moment < current:
        request._pagecache_valid_until = moment


# --- Keys and the page record -----------------------------------------------------------------


def reader_may_share_page(request):
    """Return True if the reader sees only what every anonymous reader sees."""
    if request.method not in ("GET", "HEAD"):
        return False
    if request.user.is_authenticated:
        return False
    # An anonymous session holds only personal things: pending comments, messages.
    return not request.session.keys()


def _page_key(request):
    # Tracking parameters do not change the page; the others are sorted so that their order
    # does not either.
    query = "&".join(
        f"{name}={value}"
        for name, value in sorted(request.GET.items())
        if not name.startswith("utm_")
    )
    raw = f"{_site_language()}|{request.get_host()}{request.path}?{query}"
    return PAGE_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def _site_language():
    # The site is in one language, the setting's (no LocaleMiddleware): a page kept under
    # another, before a deploy changed it, is another page.
    return settings.LANGUAGE_CODE


def _params_are_cacheable(request, params):
    # Anything unknown, and any value that is not a short number (every parameter we key on is
    # a page number, an id or a flag), is rendered but never stored, so random query strings
    # cannot fill the cache.
    for name, values in request.GET.lists():
        if name.startswith("utm_"):
            continue
        if name not in params or len(values) > 1:
            return False
        if not (values[0].isdigit() and len(values[0]) <= 9):
            return False
    return True


def _timeout(request):
    timeout = settings.NEWSROOM_PAGE_CACHE_SECONDS
    until = getattr(request, "_pagecache_valid_until", None)
    if until is not None:
        timeout = min(timeout, int(until.timestamp() - time.time()))
    return timeout


def _make_page(response, *, key, scopes, generations, timeout):
    """Return the record of a rendered page: its bytes and what it depends on."""
    body = response.content
    now = time.time()
    return {
        "key": key,
        # Compressed bytes are added by each worker the first time a client asks for them
        # (_encoded): compressing costs more than rendering the thread, and Redis need not
        # carry three copies.
        "encodings": {"identity": body},
        "content_type": response["Content-Type"],
        "etag": hashlib.sha256(body).hexdigest()[:20],
        "rendered_at": now,
        "expires_at": now + timeout,
        "scopes": list(scopes),
        "generations": generations,
        "headers": [],
    }


def _page_size(page):
    # A fragment (site_fragment) counts its pickled size; a page, its bytes in each encoding.
    return page.get("size", 0) + sum(len(body) for body in page["encodings"].values())


def _compress(body, encoding):
    if encoding == "br":
        return brotli.compress(body, quality=5, mode=brotli.MODE_TEXT)
    return gzip.compress(body, compresslevel=6, mtime=0)


def _encoded(page, encoding):
    """Return the page's bytes in the encoding, compressing them once per worker."""
    body = page["encodings"].get(encoding)
    if body is None:
        body = _compress(page["encodings"]["identity"], encoding)
        memory.add_encoding(page, encoding, body)
    return body


def _accepted_encoding(request, page):
    accepted = set()
    for part in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = part.strip().partition(";")
        if params.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            continue
        accepted.add(name.strip().lower())
    if "br" in accepted and brotli is not None:
        return "br"
    return "gzip" if "gzip" in accepted else "identity"


def _serve(request, page, source):
    """Answer with the page in the best encoding the client accepts, or 304 for its own copy."""
    encoding = _accepted_encoding(request, page)
    suffix = "" if encoding == "identity" else f"-{encoding}"
    etag = f'"{page["etag"]}{suffix}"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
        _add_page_headers(response, page, etag, source)
    else:
        body = _encoded(page, encoding)
        response = HttpResponse(body, content_type=page["content_type"])
        response.headers._store.update(_ready_headers(page, encoding, etag, source, body))
    frontcache.mark(response, scopes=page["scopes"], seconds=page["expires_at"] - time.time())
    response._pagecache_page = page
    return response


def _add_page_headers(response, page, etag, source):
    for name, value in page["headers"]:
        response.headers.setdefault(name, value)
    response["Vary"] = "Accept-Encoding"
    response["ETag"] = etag
    response["Last-Modified"] = http_date(page["rendered_at"])
    response["X-Page-Cache"] = source
    patch_cache_control(
        response, public=True, max_age=settings.NEWSROOM_PAGE_MAX_AGE, must_revalidate=True
    )


def _ready_headers(page, encoding, etag, source, body):
    """Return the headers of every 200 answer of the page in `encoding`, as Django stores them.

    They are the same on every hit, so they are built and checked once per worker and copied
    into each response: setting them one by one, each checked again, was a tenth of a hit.
    """
    ready = page.setdefault("ready_headers", {})
    key = (encoding, source)
    if key not in ready:
        model = HttpResponse(content_type=page["content_type"])
        model["Content-Length"] = str(len(body))
        if encoding != "identity":
            model["Content-Encoding"] = encoding
        _add_page_headers(model, page, etag, source)
        ready[key] = model.headers._store
    return ready[key]


# --- Each worker's memory ---------------------------------------------------------------------


class PageMemory:
    """A bounded least-recently-used store of page records, by size in bytes."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._pages = OrderedDict()
        self._lock = threading.Lock()  # runserver and the test live server use threads

    def get(self, key):
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key, page):
        size = _page_size(page)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self.bytes -= _page_size(old)
            self._pages[key] = page
            self.bytes += size
            self._evict()

    def add_encoding(self, page, encoding, body):
        """Keep another encoding of a page; count it against the bound if the page is kept."""
        with self._lock:
            if encoding in page["encodings"]:
                return
            page["encodings"][encoding] = body
            if self._pages.get(page.get("key")) is page:
                self.bytes += len(body)
                self._evict()

    def _evict(self):
        while self.bytes > self.max_bytes and self._pages:
            _, evicted = self._pages.popitem(last=False)
            self.bytes -= _page_size(evicted)

    def discard(self, key):
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self.bytes -= _page_size(old)

    def clear(self):
        with self._lock:
            self._pages.clear()
            self.bytes = 0

    def __len__(self):
        return len(self._pages)


memory = PageMemory(settings.NEWSROOM_PAGE_MEMORY_MB * 1024 * 1024)


class PageCacheMiddleware:
    """Serve anonymous readers' pages from this worker's memory, before the rest of the stack.

    Sits right below SecurityMiddleware and WhiteNoise: a hit skips sessions, CSRF, auth and
    URL resolving, and replays the headers the page was first sent with. Only readers without a
    session cookie are served here; everyone else goes on to the view and its `shared_page`.
    On the way out it keeps pages `shared_page` served in memory, and drops `Vary: Cookie` from
    them: their bytes are every anonymous reader's.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        page_key = self._memory_key(request)
        if page_key is not None:
            page = memory.get(page_key)
            if page is not None and self._is_current(page):
                return _serve(request, page, "hit")
        response = self.get_response(request)
        page = getattr(response, "_pagecache_page", None)
        if page is not None:
            self._keep(request, response, page)
        return response

    @staticmethod
    def _is_current(page):
        if page["expires_at"] <= time.time():
            return False
        try:
            return page["generations"] == read_generations(page["scopes"], tracked=True)
        except CacheUnavailable:
            return False  # the view renders it, marked bypass

    @staticmethod
    def _memory_key(request):
        if not settings.NEWSROOM_PAGE_CACHE_SECONDS or not memory.max_bytes:
            return None
        if request.method not in ("GET", "HEAD"):
            return None
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return None
        # A tracking parameter goes to the view: share visits are counted there.
        if any(name.startswith("utm_") for name in request.GET):
            return None
        return _page_key(request)

    @staticmethod
    def _keep(request, response, page):
        if response.has_header("Vary"):
            kept = [v for v in response["Vary"].split(",") if v.strip().lower() != "cookie"]
            response["Vary"] = ", ".join(v.strip() for v in kept)
        if response.cookies or response.status_code != 200:
            return
        if not page["headers"]:
            page["headers"] = [
                (name, value)
                for name, value in response.items()
                if name.lower() not in _PER_RESPONSE_HEADERS
            ]
            page.pop("ready_headers", None)  # built before the replayed headers were known
        page_key = PageCacheMiddleware._memory_key(request)
        if page_key is not None:
            memory.put(page_key, page)


# --- Serving from the view ----------------------------------------------------------------


def shared_page(*, scopes, params=()):
    """Serve the decorated view's page to anonymous readers from the shared cache.

    `scopes(request, **kwargs)` names the generations the page depends on besides "site";
    `params` are the query parameters that change the page (others bypass the cache).
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not settings.NEWSROOM_PAGE_CACHE_SECONDS:
                return view(request, *args, **kwargs)
            if not reader_may_share_page(request) or not _params_are_cacheable(request, params):
                return _personal(view(request, *args, **kwargs))

            page_scopes = (SITE, *scopes(request, **kwargs))
            generation_keys = [GENERATION_PREFIX + scope for scope in page_scopes]
            page_key = _page_key(request)
            try:
                found = cache.get_many([page_key, *generation_keys])
            except CacheUnavailable:
                return _bypass(view(request, *args, **kwargs))
            generations = [found.get(key) for key in generation_keys]
            page = found.get(page_key)
            # The expiry is checked on our clock too: the cache's own runs on its server's.
            if (
                page is not None
                and page["generations"] == generations
                and None not in generations
                and page["expires_at"] > time.time()
            ):
                return _serve(request, page, "hit")

            if None in generations:
                # Evicted or never set: start a new generation, so no older page can match.
                try:
                    for key, value in zip(generation_keys, generations, strict=True):
                        if value is None:
                            cache.add(key, secrets.token_hex(8), None)
                    generations = read_generations(page_scopes)
                except CacheUnavailable:
                    return _bypass(view(request, *args, **kwargs))

            request._pagecache_render = True
            request._pagecache_site_generation = generations[0]
            try:
                response = view(request, *args, **kwargs)
                if hasattr(response, "render"):
                    response.render()
            finally:
                request._pagecache_render = False
            if response.status_code != 200 or response.streaming or response.cookies:
                return response
            timeout = _timeout(request)
            page = _make_page(
                response,
                key=page_key,
                scopes=page_scopes,
                generations=generations,
                timeout=max(timeout, 0),
            )
            if timeout <= 0:
                return response
            try:
                cache.set(page_key, page, timeout)
            except CacheUnavailable:
                return _bypass(response)
            return _serve(request, page, "miss")

        return wrapped

    return decorator


def _bypass(response):
    """Mark a page rendered from the database because the cache could not be reached."""
    response = _personal(response)
    response["X-Page-Cache"] = "bypass"
    return response


def _personal(response):
    """Mark a page rendered for one reader so that no cache stores it."""
    if response.status_code < 400:
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
    return response
