"""The site's public address, for links read away from the request: feeds, mail, structured data."""

from django.conf import settings


def absolute_url(url):
    """Return the public URL of a site path under NEWSROOM_SITE_URL; leave full URLs alone."""
    if not url or "://" in url:
        return url
    return f"{settings.NEWSROOM_SITE_URL}{url}"
