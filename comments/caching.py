"""Retire an article's cached pages when what readers see of its comments changes."""

from django.db.models.signals import post_delete, post_save

from articles.models import Article
from newsroom import pagecache

from .models import Comment


def comments_changed(article_id):
    slug = Article.objects.filter(pk=article_id).values_list("slug", flat=True).first()
    if slug:
        pagecache.invalidate_article(slug)


def comment_saved(sender, instance, created, **kwargs):
    # A new comment held for moderation changes nothing readers see.
    if created and not instance.is_public():
        return
    comments_changed(instance.article_id)


def comment_deleted(sender, instance, **kwargs):
    comments_changed(instance.article_id)


post_save.connect(comment_saved, sender=Comment, dispatch_uid="pagecache-comment-saved")
post_delete.connect(comment_deleted, sender=Comment, dispatch_uid="pagecache-comment-deleted")
