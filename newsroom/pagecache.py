"""Whole pages for anonymous readers, rendered once and served from the shared cache.

Every app server reads and writes the same cache (Redis in production), so what one server
renders or invalidates, every server sees at once.

A cached page is valid while the *generations* it was rendered under are current. A generation
is a random value per scope, replaced whenever something in that scope changes:

- "site": articles, sections, authors, bylines and corrections. Every page depends on it.
- "article:<slug>": the article's comments. Its article and print pages depend on it.

Invalidating is one cache write, and the next request of every page in the scope renders afresh:
no key listing, no TTL to wait out. Time-driven changes (a scheduled article falling due, an
article's comments closing) are handled by storing the page only until that moment.

Per-reader values are never frozen into the cache: the page is rendered with placeholders for
the CSRF token and the comment form's signed timestamp, and each response gets fresh ones. A
reader with anything personal to see (signed in, or a session holding data such as a pending
comment) is never served a cached page, and their page is marked private and never stored.

The cache is an accelerator, never a dependency: while it cannot be reached (newsroom.cache
raises CacheUnavailable), pages are rendered from the database and marked `X-Page-Cache:
bypass`, and an invalidation that could not be written never fails the write that caused it.
Every process that saw the outage replaces the site generation when the cache answers again,
so no page stored before the outage can outlive a change made during it.
"""

import functools
import hashlib
import logging
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import http_date, parse_etags

from newsroom.cache import CacheUnavailable, on_reconnect
from newsroom.spamtraps import sign_render_time

logger = logging.getLogger(__name__)

GENERATION_PREFIX = "pagecache:generation:"
PAGE_PREFIX = "pagecache:page:"
SITE = "site"

CSRF_PLACEHOLDER = "__newsroom_csrf_token__"
RENDERED_AT_PLACEHOLDER = "__newsroom_rendered_at__"
_PLACEHOLDERS = (CSRF_PLACEHOLDER.encode(), RENDERED_AT_PLACEHOLDER.encode())


def article_scope(slug):
    return f"article:{slug}"


# --- Invalidation -----------------------------------------------------------------------------


def _replace_generations(scopes):
    try:
        cache.set_many({GENERATION_PREFIX + scope: secrets.token_hex(8) for scope in scopes}, None)
    except CacheUnavailable:
        # Made good by _retire_every_page once the cache is back.
        logger.warning("Page cache unreachable; %s retired when it returns", ", ".join(scopes))


@on_reconnect
def _retire_every_page():
    """Replace the site generation, which every page depends on, after an outage."""
    _replace_generations([SITE])


def invalidate(*scopes):
    """Retire every cached page of the scopes, now and again when the transaction commits.

    Now, so this request and anything later sees fresh pages; at commit, so a page rendered by
    another request from the not yet committed data cannot stay in the cache.
    """
    _replace_generations(scopes)
    transaction.on_commit(lambda: _replace_generations(scopes))


def invalidate_site():
    invalidate(SITE)


def invalidate_article(slug):
    invalidate(article_scope(slug))


# --- What the views tell the cache ------------------------------------------------------------


def is_rendering_for_cache(request):
    return getattr(request, "_pagecache_render", False)


def form_placeholders(request):
    """Return the template context that keeps per-reader values out of a page being cached."""
    if is_rendering_for_cache(request):
        return {"csrf_token": CSRF_PLACEHOLDER}
    return {}


def rendered_at_value(request):
    """Return the spam-trap timestamp a form should carry: a placeholder on a page to cache."""
    return RENDERED_AT_PLACEHOLDER if is_rendering_for_cache(request) else sign_render_time()


def valid_until(request, moment):
    """Keep the page being rendered in the cache no later than `moment` (a datetime)."""
    if moment is None:
        return
    current = getattr(request, "_pagecache_valid_until", None)
    if current is None or moment < current:
        request._pagecache_valid_until = moment


# --- Serving ----------------------------------------------------------------------------------


def reader_may_share_page(request):
    """Return True if the reader sees only what every anonymous reader sees."""
    if request.method not in ("GET", "HEAD"):
        return False
    if request.user.is_authenticated:
        return False
    # An anonymous session holds only personal things: pending comments, messages.
    return not request.session.keys()


def _page_key(request, params):
    query = "&".join(f"{name}={request.GET[name]}" for name in params if name in request.GET)
    raw = f"{request.get_host()}{request.path}?{query}"
    return PAGE_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def _params_are_cacheable(request, params):
    # Tracking parameters do not change the page. Anything else unknown, and any value that is
    # not a short number (every parameter we key on is a page number, an id or a flag), is
    # rendered but never stored, so random query strings cannot fill the cache.
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


def _reader_etag(page_etag, request):
    # A page carrying a CSRF token is only valid with the reader's own CSRF cookie.
    secret = request.META.get("CSRF_COOKIE", "")
    return f'"{page_etag}-{hashlib.sha256(secret.encode()).hexdigest()[:12]}"'


def _serve(request, page):
    has_form = page["has_form"]
    etag = _reader_etag(page["etag"], request) if has_form else f'"{page["etag"]}"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        body = page["body"]
        if has_form:
            body = body.replace(_PLACEHOLDERS[0], get_token(request).encode())
            body = body.replace(_PLACEHOLDERS[1], sign_render_time().encode())
            etag = _reader_etag(page["etag"], request)  # get_token may have set a new cookie
        response = HttpResponse(body, content_type=page["content_type"])
    response["ETag"] = etag
    response["Last-Modified"] = http_date(page["rendered_at"])
    response["X-Page-Cache"] = page["source"]
    if has_form:
        # The token inside is this reader's: browsers may keep it, shared caches may not.
        patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
    else:
        patch_cache_control(
            response, public=True, max_age=settings.NEWSROOM_PAGE_MAX_AGE, must_revalidate=True
        )
    return response


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

            generation_keys = [
                GENERATION_PREFIX + scope for scope in (SITE, *scopes(request, **kwargs))
            ]
            page_key = _page_key(request, params)
            try:
                found = cache.get_many([page_key, *generation_keys])
            except CacheUnavailable:
                return _bypass(view(request, *args, **kwargs))
            generations = [found.get(key) for key in generation_keys]
            page = found.get(page_key)
            if page is not None and page["generations"] == generations and None not in generations:
                page["source"] = "hit"
                return _serve(request, page)

            if None in generations:
                # Evicted or never set: start a new generation, so no older page can match.
                try:
                    for key, value in zip(generation_keys, generations, strict=True):
                        if value is None:
                            cache.add(key, secrets.token_hex(8), None)
                    found = cache.get_many(generation_keys)
                except CacheUnavailable:
                    return _bypass(view(request, *args, **kwargs))
                generations = [found.get(key) for key in generation_keys]

            request._pagecache_render = True
            try:
                response = view(request, *args, **kwargs)
                if hasattr(response, "render"):
                    response.render()
            finally:
                request._pagecache_render = False
            if response.status_code != 200 or response.streaming or response.cookies:
                return response
            page = {
                "body": response.content,
                "content_type": response["Content-Type"],
                "etag": hashlib.sha256(response.content).hexdigest()[:20],
                "rendered_at": time.time(),
                "has_form": any(placeholder in response.content for placeholder in _PLACEHOLDERS),
                "generations": generations,
            }
            timeout = _timeout(request)
            page["source"] = "miss"
            if timeout > 0:
                try:
                    cache.set(page_key, page, timeout)
                except CacheUnavailable:
                    page["source"] = "bypass"
            return _serve(request, page)

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
