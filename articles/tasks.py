"""Background jobs of the articles app, enqueued with transaction.on_commit."""

from celery import shared_task

from newsroom import pagecache

from .models import Article


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def build_renditions(self, article_id):
    """Resize a newly saved lead image into every rendition, so no reader's request has to."""
    article = Article.objects.filter(pk=article_id).first()
    built = article.build_renditions() if article else 0
    if built:
        # Cached pages still show the placeholder; no row changed to retire them.
        pagecache.invalidate_site()
    return built
