"""Retire an article's cached pages when what readers see of its comments changes.

Called directly by every write that can change a public comment: `moderation.submit()` and the
moderation verbs, `forget_commenter`, the admin's deletes and the demo loader. No signals: reading
those calls shows every step.
"""

from articles.models import Article
from newsroom import pagecache


def retire_article_pages(*article_ids):
    """Retire the cached article and print pages of the articles."""
    slugs = Article.objects.filter(pk__in=set(article_ids)).values_list("slug", flat=True)
    for slug in slugs:
        pagecache.invalidate_article(slug)
