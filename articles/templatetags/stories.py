"""Stories in lists (cards, the front page's lead), rendered once per worker for each version.

A list page shows a dozen cards, and rendering their templates (the byline above all) was most of
a home page miss. A card shows only its article's row, section, byline authors and pictures, so
those values are its key (newsroom.pagecache.remembered): an edit re-renders the cards it
changed, and every other card is a lookup.

The front page loads only the fields its cards show (articles.models.CARD_FIELDS): the key is
what was loaded, and a template that shows a field left out is refused rather than kept under a
key that does not name it.
"""

import functools

from django import template
from django.core.exceptions import ImproperlyConfigured
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
        story_state(article),
        # What the same rows look like in another language, time zone or URL layout.
        get_language(),
        timezone.get_current_timezone_name(),
        get_script_prefix(),
        get_urlconf(),
    )

    def render():
        loaded = _loaded_fields(article)
        html = page_template.render({"article": article, **options})
        if _loaded_fields(article) != loaded:
            raise ImproperlyConfigured(
                f"{template_name} shows a field the key does not name: load it with the article "
                "(articles.models.CARD_FIELDS)."
            )
        return html

    return pagecache.remembered(key, render)


def _rows(article):
    bylines = article.bylines.all()
    return [article, article.section, *(row for b in bylines for row in (b, b.author))]


def story_state(article):
    """Return everything a story's HTML can show of its article, as a key."""
    return (
        *(row_state(instance) for instance in _rows(article)),
        # A rendition is a placeholder until the upload's task has built it.
        tuple(article.get_rendition(name) for name in RENDITIONS) if article.lead_image else (),
    )


def row_state(instance):
    """Return the row's loaded fields, by name: a field left out (QuerySet.only) is not read."""
    loaded = instance.__dict__  # where a model instance keeps its fields' values
    return tuple((name, loaded[name]) for name in _attnames(type(instance)) if name in loaded)


@functools.cache
def _attnames(model):
    return tuple(field.attname for field in model._meta.concrete_fields)


def _loaded_fields(article):
    return [instance.get_deferred_fields() for instance in _rows(article)]
