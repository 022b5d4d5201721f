from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .caching import navigation_sections


def site(request):
    """Expose the site name and the navigation sections to every template."""
    return {
        "site_name": settings.NEWSROOM_SITE_NAME,
        "site_url": settings.NEWSROOM_SITE_URL,
        # Lazy: pages that show no navigation (admin, feeds) never touch the cache.
        "nav_sections": SimpleLazyObject(navigation_sections),
    }
