"""Cross-site request forgery protection without a token, for forms on pages every reader shares.

A cached page is the same bytes for every anonymous reader, so it cannot carry a per-reader CSRF
token. Browsers say where a request comes from instead: the algorithm is Go 1.25's
net/http.CrossOriginProtection. `Sec-Fetch-Site` (sent by every current browser) must be
"same-origin" or "none" (typed or bookmarked); without it, an `Origin` header must name this
host; a request with neither comes from no browser (or one too old to send them) and is allowed,
as it carries no reader's credentials to abuse. Origins in CSRF_TRUSTED_ORIGINS are accepted.
Signed-in users' pages are never cached: their POSTs must pass Django's token check as well.
The threat model is in SECURITY.md, "Cached pages and forms".
"""

import functools
from urllib.parse import urlsplit

from django.conf import settings
from django.views.csrf import csrf_failure
from django.views.decorators.csrf import csrf_exempt, csrf_protect

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def is_cross_origin(request):
    """Return True if a browser sent the request from another origin than this site's."""
    origin = request.headers.get("Origin")
    if origin is not None and origin in settings.CSRF_TRUSTED_ORIGINS:
        return False
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    if origin is None:
        return False
    return urlsplit(origin).netloc.lower() != request.get_host().lower()


def origin_protected(view):
    """Refuse cross-origin unsafe requests by origin; signed-in users also need the CSRF token."""
    token_checked = csrf_protect(view)

    @csrf_exempt
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in SAFE_METHODS and is_cross_origin(request):
            return csrf_failure(request, reason="Cross-origin request refused.")
        if request.user.is_authenticated:
            return token_checked(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return wrapped
