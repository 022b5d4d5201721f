"""Background jobs of the articles app, enqueued with transaction.on_commit."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse

from newsroom import pagecache
from newsroom.site import absolute_url

from .models import Article

EDITORS_GROUP = "Editors"


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_editors_of_review(self, article_id, submitted_by_id):
    """Email every active member of the Editors group that an article awaits review."""
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        return 0
    users = get_user_model().objects
    submitter = users.filter(pk=submitted_by_id).first()
    recipients = list(
        users.filter(groups__name=EDITORS_GROUP, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not recipients:
        return 0
    # Headlines are single-line fields, but a subject must never carry a line break.
    headline = " ".join(article.headline.split())
    admin_url = absolute_url(reverse("admin:articles_article_change", args=[article.pk]))
    who = (submitter.get_full_name() or submitter.get_username()) if submitter else "A writer"
    send_mail(
        subject=f"For review: {headline}",
        message=(
            f"{who} submitted “{headline}” for review.\n\n"
            f"Open it in the admin to edit, publish or send it back:\n{admin_url}\n"
        ),
        from_email=None,
        recipient_list=recipients,
    )
    return len(recipients)


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def build_renditions(self, article_id):
    """Resize a newly saved lead image into every rendition, so no reader's request has to."""
    article = Article.objects.filter(pk=article_id).first()
    built = article.build_renditions() if article else 0
    if built:
        # Cached pages still show the placeholder; no row changed to retire them.
        pagecache.invalidate_site()
    return built
