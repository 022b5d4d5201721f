from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from articles.models import Article
from articles.views import withdrawn_or_404
from newsroom import ratelimit

from .delivery import queue_share
from .forms import EmailShareForm
from .models import EmailShare


def get_shareable_article(slug):
    return Article.objects.published().with_byline().filter(slug=slug).first()


def share_retry_after(request, sender_email):
    """Count one share against the sender's IP and address; return seconds to wait, or None."""
    ip = ratelimit.client_ip(request) or ""
    ip_rates = ratelimit.parse_rates(settings.NEWSROOM_SHARE_IP_RATE_LIMITS)
    sender_rates = ratelimit.parse_rates(settings.NEWSROOM_SHARE_SENDER_RATE_LIMITS)
    ip_wait = ratelimit.hit("share-ip", ip, ip_rates)
    sender_wait = ratelimit.hit("share-sender", sender_email, sender_rates)
    return max(ip_wait or 0, sender_wait or 0) or None


# The form carries a fresh signed timestamp (spam trap), so it must never come from a cache.
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def email_article(request, slug):
    """Show the email-this-article form; store a valid share and queue it for sending."""
    article = get_shareable_article(slug)
    if article is None:
        return withdrawn_or_404(request, slug)  # 410 for a taken-down article, like its page
    form = EmailShareForm(request.POST or None)
    if form.is_valid():
        if form.is_repeat():
            # A retry after a lost answer: the share was stored and queued the first time.
            return redirect("sharing:sent", slug=article.slug)
        retry_after = share_retry_after(request, form.cleaned_data["sender_email"])
        if retry_after:
            wait = ratelimit.describe_wait(retry_after)
            context = {"article": article, "form": form, "wait": wait}
            response = render(request, "sharing/email_share_form.html", context, status=429)
            response.headers["Retry-After"] = str(retry_after)
            return response
        try:
            with transaction.atomic():
                share = form.save(article=article)
                if share.status == EmailShare.Status.QUEUED:
                    queue_share(share)
        except IntegrityError:
            if form.is_repeat():
                # The same form posted twice at once (its idempotency key): the other one won.
                return redirect("sharing:sent", slug=article.slug)
            return withdrawn_or_404(request, slug)  # deleted while the share was stored
        # A trapped bot hears the same answer as a person.
        messages.success(
            request,
            ngettext(
                "Sent to %(count)d recipient.",
                "Sent to %(count)d recipients.",
                share.recipient_count,
            )
            % {"count": share.recipient_count},
        )
        return redirect("sharing:sent", slug=article.slug)
    return render(request, "sharing/email_share_form.html", {"article": article, "form": form})


@require_http_methods(["GET", "HEAD"])
def email_sent(request, slug):
    """Confirm a share to the reader and lead them back to the article."""
    article = get_shareable_article(slug)
    if article is None:
        return withdrawn_or_404(request, slug)
    return render(request, "sharing/email_share_sent.html", {"article": article})
