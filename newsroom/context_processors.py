from django.conf import settings

from articles.models import Section


def site(request):
    """Expose the site name and the navigation sections to every template."""
    return {
        "site_name": settings.NEWSROOM_SITE_NAME,
        "site_url": settings.NEWSROOM_SITE_URL,
        "nav_sections": Section.objects.all(),
    }
