"""URLs of articles, sections and authors, reversed once per process rather than once per link.

A list page links dozens of them, and `reverse()` was a quarter of the time of rendering an
article card. The result depends on nothing but the arguments and the request's URL
configuration, script prefix and language, so those are the key.
"""

import functools

from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language


def cached_reverse(viewname, *, kwargs):
    """Return `reverse(viewname, kwargs=kwargs)`, remembered for the current URL configuration."""
    return _reverse(
        # A new resolver object whenever the URL configuration changes (clear_url_caches).
        get_resolver(get_urlconf()),
        get_script_prefix(),
        get_language(),
        viewname,
        tuple(sorted(kwargs.items())),
    )


@functools.lru_cache(maxsize=8192)
def _reverse(resolver, script_prefix, language, viewname, kwargs):
    return reverse(viewname, kwargs=dict(kwargs))
