"""Stories in lists (cards, the front page's lead), rendered once per worker for each version.

A list page shows a dozen cards, and rendering their templates (the byline above all) was most of
a home page miss. A card shows only its article's row, section, byline authors and pictures, so
those values are its key (newsroom.pagecache.remembered): an edit re-renders the cards it
changed, and every other card is a lookup.
"""

from django import template
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
from django.utils.translation import get_language

from newsroom import pagecache

from ..models import RENDITIONS

register = template.Library()


@register.simple_tag
def story(template_name, article, **options):
    """Render `template_name` for one article with `options` in its context (e.g. heading="h3").

    The template may show the article's own fields, its section, its byline and its renditions,
    nothing else: they are what tells one version of the HTML from another.
    """
    page_template = get_template(template_name)
    key = (
        # The compiled template: a new one when templates are reloaded in development.
        page_template.template,
        tuple(sorted(options.items())),
        _story_state(article),
        # What the same rows look like in another language, time zone or URL layout.
        get_language(),
        timezone.get_current_timezone_name(),
        get_script_prefix(),
        get_urlconf(),
    )
    return pagecache.remembered(key, lambda: page_template.render({"article": article, **options}))


def _story_state(article):
    return (
        _row(article),
        _row(article.section),
        tuple((_row(byline), _row(byline.author)) for byline in article.bylines.all()),
        # A rendition is a placeholder until the upload's task has built it.
        tuple(article.get_rendition(name) for name in RENDITIONS) if article.lead_image else (),
    )


def _row(instance):
    return tuple(field.value_from_object(instance) for field in instance._meta.concrete_fields)
