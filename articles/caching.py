"""Keep cached reader pages and the navigation true to the database.

Every model a reader page shows is covered here; a change of any of them retires every cached
page (see newsroom.pagecache). Editors save rarely, readers read constantly: a whole-site
invalidation per save costs one render per page afterwards, and can never miss a dependency.

The one place where the project invalidates through model signals, on purpose: articles, bylines,
corrections, authors and sections are written by the admin's forms and inlines and by
django-reversion's revision restores, which save rows through code we do not call. A receiver is
the only hook that sees every one of those writes. The comments app calls its invalidation
directly from its verbs (comments/caching.py).
"""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from newsroom import pagecache
from newsroom.cache import (
    CacheUnavailable,
    get_many_tracked,
    on_reconnect,
    wait_for_invalidations,
)

from .models import Article, ArticleAuthor, Author, Correction, Section

NAV_SECTIONS_KEY = "articles:nav-sections"
NAV_SECTIONS_SECONDS = 3600


def navigation_sections():
    """Return the sections the site navigation lists, from the shared cache when it has them.

    Every page rendered asks: this process's copy, kept exact by the cache (client tracking).
    """
    try:
        sections = get_many_tracked([NAV_SECTIONS_KEY]).get(NAV_SECTIONS_KEY)
    except CacheUnavailable:
        return list(Section.objects.all())
    if sections is None:
        sections = list(Section.objects.all())
        try:
            cache.set(NAV_SECTIONS_KEY, sections, NAV_SECTIONS_SECONDS)
        except CacheUnavailable:
            pass  # read again next time
    return sections


@on_reconnect  # a change during an outage could not delete the old list
def _forget_navigation():
    try:
        cache.delete(NAV_SECTIONS_KEY)
        wait_for_invalidations()  # no process reads its old copy after this
    except CacheUnavailable:
        pass


def site_changed(sender, **kwargs):
    pagecache.invalidate_site()


def sections_changed(sender, **kwargs):
    _forget_navigation()
    transaction.on_commit(_forget_navigation)


for model in (Article, ArticleAuthor, Author, Correction, Section):
    for signal in (post_save, post_delete):
        signal.connect(site_changed, sender=model, dispatch_uid=f"pagecache-site-{model.__name__}")
for signal in (post_save, post_delete):
    signal.connect(sections_changed, sender=Section, dispatch_uid="nav-sections")
