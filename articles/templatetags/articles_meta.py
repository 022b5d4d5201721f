"""Machine-readable article metadata: JSON-LD, feed links, W3C dates and search highlights."""

import json

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from newsroom.site import absolute_url

from .. import search
from ..models import Author, Section
from ..sanitize import strip_control_characters

register = template.Library()

# The escapes of Django's json_script: no "</script>" or "<!--" can end the element early.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}
SOCIAL_RENDITIONS = ["social_16x9", "social_4x3", "social_1x1"]


@register.filter
def xml_safe(value):
    """Drop characters XML cannot carry, for text that reaches an XML document by a template."""
    return strip_control_characters(str(value))


@register.filter
def w3c(value):
    """Format a datetime as W3C/ISO 8601 in the site's time zone, to the second, with its offset."""
    if not value:
        return ""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


register.filter("absolute", absolute_url)


@register.filter
def highlight(snippet):
    """Render a search snippet with only its matched words marked."""
    return search.highlight(snippet or "")


@register.simple_tag
def publication_language():
    """Return the publication's ISO 639 language code."""
    return settings.NEWSROOM_LANGUAGE


@register.inclusion_tag("articles/_feed_links.html", takes_context=True)
def feed_links(context):
    """Link the site's feeds, and the section's or author's on their pages, for feed readers."""
    section, author = context.get("section"), context.get("author")
    return {
        "site_name": settings.NEWSROOM_SITE_NAME,
        "section": section if isinstance(section, Section) else None,
        "author": author if isinstance(author, Author) else None,
    }


def _byline_entity(author):
    if author.is_desk:
        return {"@type": "Organization", "name": author.name}
    return {"@type": "Person", "name": author.name, "url": absolute_url(author.get_absolute_url())}


def news_article(article):
    """Return the schema.org NewsArticle describing a published article, as a dict."""
    url = absolute_url(article.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": article.headline,
        "description": article.dek,
        "datePublished": w3c(article.first_published),
        # Only a material update counts as a modification, not every typo fix an editor saves.
        "dateModified": w3c(article.last_changed),
        "author": [_byline_entity(author) for author in article.byline_authors],
        "publisher": {
            "@type": "Organization",
            "name": settings.NEWSROOM_SITE_NAME,
            "url": absolute_url("/"),
            "logo": {
                "@type": "ImageObject",
                "url": absolute_url(static(settings.NEWSROOM_PUBLISHER_LOGO)),
            },
        },
        "articleSection": article.section.name,
        "inLanguage": settings.NEWSROOM_LANGUAGE,
    }
    renditions = [article.get_rendition(name) for name in SOCIAL_RENDITIONS]
    images = [
        {
            "@type": "ImageObject",
            "url": absolute_url(rendition.url),
            "width": rendition.width,
            "height": rendition.height,
        }
        for rendition in renditions
        if rendition is not None and not rendition.is_placeholder
    ]
    if images:
        data["image"] = images
    notes = article.corrections.all()
    if notes:
        data["correction"] = [
            {
                "@type": "CorrectionComment",
                "name": note.get_kind_display(),
                "text": note.text,
                "datePublished": w3c(note.created_at),
            }
            for note in notes
        ]
    return data


@register.simple_tag
def news_article_json_ld(article):
    """Render the article's NewsArticle JSON-LD in a script element it cannot break out of."""
    data = json.dumps(news_article(article), cls=DjangoJSONEncoder, ensure_ascii=False)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(data.translate(_JSON_SCRIPT_ESCAPES)),  # noqa: S308 - escaped like json_script
    )
