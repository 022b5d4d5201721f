from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from articles.models import Article
from articles.views import ArticleDetailView, withdrawn_or_404
from newsroom.crossorigin import origin_protected
from newsroom.ratelimit import client_ip
from newsroom.spamtraps import sign_render_time

from . import moderation, pending
from .forms import CommentForm, ReportForm
from .models import Comment


def _article_page(request, article, form, *, status):
    """Show the article page again with the comment form as the reader sent it."""
    view = ArticleDetailView()
    view.setup(request)
    view.object = article
    context = view.get_context_data(object=article, is_preview=False, comment_form=form)
    return TemplateResponse(request, view.get_template_names(), context, status=status)


def _article_gone(request, article_id):
    # 410 with the editors' reason if it was taken down, like the article page; else 404.
    slug = Article.objects.filter(pk=article_id).values_list("slug", flat=True).first()
    return withdrawn_or_404(request, slug or "")


def _closed(request, article, reason=""):
    """Say why the article takes no comments, and give the reader back what they wrote."""
    context = {
        "article": article,
        "close_at": article.comments_close_at(),
        "close_after_days": settings.NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS,
        "body": request.POST.get("body", ""),
        "reason": reason,  # staffed hours: when commenting opens again
    }
    return render(request, "comments/closed.html", context, status=403)


def _ask_to_send_again(request, article):
    """Show the form again, the reader's text kept, with the timestamp a cached page lacks."""
    data = request.POST.copy()
    data["rendered_at"] = sign_render_time()
    form = CommentForm(data, article=article, user=request.user)
    form.is_valid()
    form.add_error(
        None, gettext("Please check your comment and press “Post comment” again to send it.")
    )
    return _article_page(request, article, form, status=400)


@require_POST
@origin_protected  # the form is on cached pages, which carry no CSRF token
def post_comment(request, article_id):
    """Accept a comment or reply: run the moderation pipeline, store it, and show where it is."""
    article = Article.objects.published().filter(pk=article_id).first()
    if article is None:
        return _article_gone(request, article_id)
    if not article.comments_are_open():
        return _closed(request, article)
    form = CommentForm(request.POST, article=article, user=request.user)
    if not form.is_valid():
        return _article_page(request, article, form, status=400)
    if form.is_missing_render_time():
        # Sent from a cached page without JavaScript (our script adds the timestamp).
        return _ask_to_send_again(request, article)
    data = form.cleaned_data
    browser_key, new_cookie = moderation.commenter_key(request)
    submission = moderation.Submission(
        article=article,
        name=data["name"],
        email=data["email"],
        body=data["body"],
        parent=data["parent"],
        notify_replies=data["notify_replies"],
        user=request.user,
        ip_address=client_ip(request),
        spam_catch=form.spam_catch(),
        browser_key=browser_key,
    )
    try:
        comment = moderation.submit(submission)
    except moderation.CommentsClosed as closed:
        return _closed(request, article, closed.message)
    except moderation.ArticleGone:
        return _article_gone(request, article_id)
    except moderation.Refused as refusal:
        form.add_error(None, refusal.message)
        response = _article_page(request, article, form, status=refusal.status_code)
        if refusal.retry_after:
            response["Retry-After"] = str(refusal.retry_after)
        return response
    if not comment.is_public():
        # Only this reader's session remembers the held comment, so only they see it.
        pending.remember(request.session, comment)
        response = redirect(f"{article.get_absolute_url()}#comment-{comment.pk}")
    else:
        page = Comment.objects.page_number_of(comment)
        query = f"?comments_page={page}" if page > 1 else ""
        response = redirect(f"{article.get_absolute_url()}{query}#comment-{comment.pk}")
    if new_cookie:
        # Proof for trusted mode: once this comment is approved, this browser's next ones are.
        response.set_signed_cookie(
            moderation.COMMENTER_COOKIE,
            new_cookie,
            salt=moderation.COMMENTER_SALT,
            max_age=365 * 24 * 3600,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


@require_http_methods(["GET", "POST"])
def report_comment(request, pk):
    """Ask why (GET), then record a reader's report of an approved comment, once per reader."""
    comment = get_object_or_404(
        Comment.objects.approved().select_related("article"),
        pk=pk,
        article__in=Article.objects.published(),
    )
    if request.method == "GET":
        response = render(
            request, "comments/report.html", {"comment": comment, "form": ReportForm()}
        )
        response["X-Robots-Tag"] = "noindex"
        return response
    form = ReportForm(request.POST)
    if not form.is_valid():
        return render(
            request, "comments/report.html", {"comment": comment, "form": form}, status=400
        )
    if not request.session.session_key:
        try:
            request.session.save()
        except UpdateError:
            pass
    try:
        moderation.report(
            comment,
            reason=form.cleaned_data["reason"],
            user=request.user,
            session_key=request.session.session_key or "",
            ip_address=client_ip(request),
        )
    except moderation.RateLimited as refusal:
        form.add_error(None, refusal.message)
        response = render(
            request, "comments/report.html", {"comment": comment, "form": form}, status=429
        )
        response["Retry-After"] = str(refusal.retry_after)
        return response
    # The same thanks whether or not this reader had reported it before.
    return redirect(
        f"{comment.article.get_absolute_url()}?reported={comment.pk}#comment-{comment.pk}"
    )


@csrf_exempt  # the signed token is the credential; mail clients' one-click POSTs carry no cookie
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """Stop reply emails for one comment: GET asks, POST (a button or a mail client) does it."""
    pk = Comment.pk_from_unsubscribe_token(token)
    if pk is None:
        return render(request, "comments/unsubscribe.html", {"invalid": True}, status=400)
    comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
    done = request.method == "POST"
    if done:
        Comment.objects.filter(pk=comment.pk).update(notify_replies=False)
    # The link outlives the article's publication: name only what readers may still see.
    context = {"comment": comment, "done": done, "is_public": comment.article.is_published()}
    return render(request, "comments/unsubscribe.html", context)
