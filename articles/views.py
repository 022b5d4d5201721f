import datetime
import functools

from django.conf import settings
from django.db.models import Max
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import condition, require_safe
from django.views.generic import DetailView, ListView

from newsroom import compiledsql, pagecache

from . import search
from .caching import navigation_sections
from .models import Article, Author, PreviewLink, Section
from .templatetags.stories import row_state


class PublishedArticleMixin:
    """Start every reader page from the one definition of what readers may see."""

    def get_queryset(self):
        return Article.objects.published(self.now).with_byline()

    @functools.cached_property
    def now(self):
        """The moment the page shows: one for all its queries, so that a story falling due
        between two of them is in both or in neither."""
        return timezone.now()


class ArticleListMixin(PublishedArticleMixin):
    """A page of published articles, counted by one kept query and loaded only if the page
    lists them: the front page's first page shows its own stories (ArticleManager.front_page),
    and building a queryset it would not run was a tenth of its miss."""

    paginate_by = settings.NEWSROOM_ARTICLES_PER_PAGE
    context_object_name = "article_list"  # named without looking at the (lazy) queryset

    def get_queryset(self):
        published = super().get_queryset
        return SimpleLazyObject(lambda: self.scope(published()))

    def scope(self, articles):
        """Return the `articles` this page lists: all of them, unless narrowed."""
        return articles

    def get_template_names(self):
        # The view's own: ListView would add one named after the queryset's model.
        return [self.template_name]

    def get_paginator(self, queryset, per_page, **kwargs):
        listed = compiledsql.rows(
            ("articles-listed", *self.scope_key()),
            lambda now: self.scope(Article.objects.all()).count_and_next_due(now),
            moment=self.now,
            # Of every article, a count by moment only, which one plan serves (compiledsql).
            prepare=not self.scope_key(),
        )
        count, next_due_at = listed[0] if listed else (0, None)
        if pagecache.is_rendering_for_cache(self.request):
            # The list changes, with no save, when a scheduled article falls due.
            pagecache.valid_until(self.request, next_due_at)
        # Numbers for the pages; paginate_queryset puts the articles on the page.
        return super().get_paginator(range(count), per_page, **kwargs)

    def paginate_queryset(self, queryset, page_size):
        paginator, page, _, is_paginated = super().paginate_queryset(queryset, page_size)
        shown = page.object_list  # a range of the page's positions
        page.object_list = SimpleLazyObject(lambda: list(queryset[shown.start : shown.stop]))
        return paginator, page, page.object_list, is_paginated

    def scope_key(self):
        """Return what tells this page's `scope` from another's (newsroom.compiledsql)."""
        return ()


class HomeView(ArticleListMixin, ListView):
    """The front page: a lead story, the latest, then each section's newest; older pages list."""

    template_name = "articles/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["page_obj"].number == 1:
            context["front_page"] = Article.objects.front_page(self.now)
        return context

    def render_to_response(self, context, **response_kwargs):
        """Render the page; the front page for the cache, kept in this worker's memory under
        everything it shows: after a site change that left it as it was, it is one lookup, and
        no story is built from its rows."""
        response = super().render_to_response(context, **response_kwargs)
        if not context.get("front_page") or not pagecache.is_rendering_for_cache(self.request):
            return response
        html = pagecache.remembered(
            self._front_page_key(response, context),
            lambda: response.render().content.decode(),
        )
        return HttpResponse(html, content_type=response["Content-Type"])

    def _front_page_key(self, response, context):
        now = timezone.localtime(self.now)
        return (
            "front-page",
            # The compiled templates: new ones when templates are reloaded in development.
            response.resolve_template(response.template_name).template,
            self.request.path,
            context["front_page"].state,
            context["page_obj"].has_next(),
            tuple(row_state(section) for section in navigation_sections()),
            # The footer's year and zone; what the same rows look like in another language or
            # URL layout.
            now.year,
            now.tzname(),
            timezone.get_current_timezone_name(),  # the cards' times
            get_language(),
            get_script_prefix(),
            get_urlconf(),
        )


class ArticlesOfView(ArticleListMixin, ListView):
    """The published articles of one section or one author, named by the URL's slug.

    The section or author is in the context under its model's name.
    """

    of_model = None
    of_lookup = None  # how an article names it

    def get_queryset(self):
        self.of_object = get_object_or_404(self.of_model, slug=self.kwargs["slug"])
        return super().get_queryset()

    def scope(self, articles):
        return articles.filter(**{self.of_lookup: self.of_object})

    def scope_key(self):
        return (self.of_lookup, self.of_object.pk)

    def get_context_data(self, **kwargs):
        name = self.of_model._meta.model_name
        return super().get_context_data(**{name: self.of_object}, **kwargs)


class SectionView(ArticlesOfView):
    template_name = "articles/section_detail.html"
    of_model = Section
    of_lookup = "section"


class AuthorView(ArticlesOfView):
    template_name = "articles/author_detail.html"
    of_model = Author
    of_lookup = "bylines__author"


# Where the comments go in an article page kept as a fragment (ArticleDetailView).
COMMENT_SLOTS = {
    "count": mark_safe("<!--newsroom:comment-count-->"),
    "thread": mark_safe("<!--newsroom:comment-thread-->"),
}


class EditorPreviewMixin:
    """Let staff editors read an article before it is published, where readers will read it."""

    def get_queryset(self):
        if self.request.user.has_perm("articles.change_article"):
            return Article.objects.with_byline()
        return super().get_queryset()


class ArticlePageMixin:
    """One article's page at its one canonical URL, with its corrections.

    Rendered for the page cache, the page without its comments is a fragment kept until the
    site changes: a new or moderated comment re-renders the thread alone, without loading the
    article again.
    """

    comments_in_fragment = True

    def get_queryset(self):
        return super().get_queryset().prefetch_related("corrections")

    def get(self, request, *args, **kwargs):
        try:
            datetime.date(int(kwargs["year"]), int(kwargs["month"]), int(kwargs["day"]))
        except ValueError:
            raise Http404("No such date.") from None
        if self.comments_in_fragment and pagecache.is_rendering_for_cache(request):
            shell = pagecache.site_fragment(request, f"article:{request.path}", self._render_shell)
            if shell is not None:
                return self._with_comments(shell)
        try:
            self.object = self.get_object()
        except Http404:
            return withdrawn_or_404(request, kwargs["slug"])
        is_preview = not self.object.is_published()
        canonical_url = self.get_canonical_path()
        if request.path != canonical_url:
            return redirect(canonical_url, permanent=not is_preview)
        context = self.get_context_data(
            is_preview=is_preview, **pagecache.shared_page_context(request)
        )
        response = self.render_to_response(context)
        return _private_noindex(response) if is_preview else response

    def get_canonical_path(self):
        """Return the one path this page answers at; any other date or slug redirects there."""
        return self.object.get_absolute_url()

    def _render_shell(self):
        """Return the page with slots for its comments, or None unless it is a reader's page."""
        try:
            self.object = self.get_object()
        except Http404:
            return None
        if not self.object.is_published() or self.request.path != self.get_canonical_path():
            return None
        context = self.get_context_data(
            is_preview=False,
            comment_slots=COMMENT_SLOTS,
            **pagecache.shared_page_context(self.request),
        )
        return {
            "html": self.render_to_response(context).render().content.decode(),
            # What the thread needs of the article: its own fields, no related rows.
            "article": {
                f.attname: getattr(self.object, f.attname) for f in Article._meta.concrete_fields
            },
        }

    def _with_comments(self, shell):
        article = Article(**shell["article"])
        thread = get_template("comments/article_comments.html").render(
            {"article": article, "request": self.request, "is_shared_page": True}
        )
        # The thread counted the approved comments; the toolbar shows the same number.
        total = article._approved_comment_counts["total"]
        html = shell["html"].replace(COMMENT_SLOTS["count"], str(total), 1)
        return HttpResponse(html.replace(COMMENT_SLOTS["thread"], thread, 1))


class ArticleDetailView(ArticlePageMixin, EditorPreviewMixin, PublishedArticleMixin, DetailView):
    """The article; staff editors also see unpublished previews."""


@require_safe
def article_shortlink(request, slug):
    """Redirect a bare slug to the article's canonical URL."""
    if request.user.has_perm("articles.change_article"):
        article = get_object_or_404(Article, slug=slug)
        return redirect(article, permanent=article.is_published())
    article = Article.objects.published().filter(slug=slug).first()
    if article is None:
        return withdrawn_or_404(request, slug)
    return redirect(article, permanent=True)


# --- Take-down and shared previews (editors' workflow) -----------------------------------------


def withdrawn_or_404(request, slug):
    """Answer 410 with the editors' reason if the article was taken down, else 404."""
    article = Article.objects.withdrawn().filter(slug=slug).first()
    if article is None:
        raise Http404("No such article.")
    return render(request, "articles/article_withdrawn.html", {"article": article}, status=410)


def _private_noindex(response):
    """Keep a page that is not public out of caches and search engines."""
    add_never_cache_headers(response)
    patch_cache_control(response, private=True, no_store=True)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def article_preview(request, token):
    """Show an unpublished article to anyone holding a live shared preview link."""
    key = PreviewLink.key_from_token(token)
    if key is None:
        raise Http404("No such preview link.")
    link = PreviewLink.objects.filter(key=key).select_related("article").first()
    # A signature we made with no row behind it: the link or its whole article was deleted.
    if link is None or not link.is_usable():
        response = render(request, "articles/preview_expired.html", {"link": link}, status=410)
        return _private_noindex(response)
    article = link.article
    if article.status == Article.Status.WITHDRAWN:
        # A take-down ends every way of reading the article.
        return _private_noindex(withdrawn_or_404(request, article.slug))
    article = Article.objects.with_byline().prefetch_related("corrections").get(pk=article.pk)
    context = {"article": article, "object": article, "is_preview": True, "preview_link": link}
    return _private_noindex(render(request, "articles/article_detail.html", context))


class ArticlePrintView(ArticlePageMixin, PublishedArticleMixin, DetailView):
    """A print-friendly copy of a published article, under the article's own URL.

    No editors' preview: nobody prints a draft.
    """

    template_name = "articles/article_print.html"
    comments_in_fragment = False

    def get_canonical_path(self):
        return self.object.get_absolute_url() + "print/"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            autoprint=self.request.GET.get("autoprint") == "1", **kwargs
        )


# --- Reader pages as served: from the shared page cache for anonymous readers ---------------


def _article_scopes(request, *, slug, **kwargs):
    return (pagecache.article_scope(slug),)


def _site_scopes(request, **kwargs):
    return ()


_list_page = pagecache.shared_page(scopes=_site_scopes, params=("page",))
home = _list_page(HomeView.as_view())
section = _list_page(SectionView.as_view())
author = _list_page(AuthorView.as_view())
article_detail = pagecache.shared_page(
    scopes=_article_scopes, params=("comments_page", "reply_to")
)(ArticleDetailView.as_view())
article_print = pagecache.shared_page(scopes=_article_scopes, params=("autoprint",))(
    ArticlePrintView.as_view()
)


# --- Distribution: conditional GET for feeds and sitemaps, and search ------------------------


def articles_changed_at(request, *args, **kwargs):
    """Return when what readers can list last changed: an article saved, or a scheduled one due."""
    # Both answers are cheap; remember them on the request, which asks for Last-Modified and ETag.
    if not hasattr(request, "_articles_changed_at"):
        saved = Article.objects.aggregate(at=Max("updated_at"))["at"]
        appeared = (
            Article.objects.published()
            .order_by("-publish_at")
            .values_list("publish_at", flat=True)
            .first()
        )
        request._articles_changed_at = max(filter(None, [saved, appeared]), default=None)
    return request._articles_changed_at


def _articles_etag(request, *args, **kwargs):
    changed_at = articles_changed_at(request)
    return changed_at and f"{changed_at.timestamp():.6f}"


def conditional_on_articles(view):
    """Answer 304 Not Modified to a client whose copy is as new as the newest article change."""

    @require_safe
    @condition(etag_func=_articles_etag, last_modified_func=articles_changed_at)
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        # The sitemap view stamps its newest lastmod; ours also moves when an article is taken down.
        if response.has_header("Last-Modified"):
            del response["Last-Modified"]
        patch_cache_control(response, max_age=300)
        return response

    return wrapped


class SearchView(PublishedArticleMixin, ListView):
    """Published articles matching the reader's words: ranked on PostgreSQL, newest elsewhere."""

    template_name = "articles/search.html"
    paginate_by = settings.NEWSROOM_ARTICLES_PER_PAGE

    def get_queryset(self):
        self.query = search.clean_query(self.request.GET.get("q", ""))
        self.is_too_long = len(self.query) > search.MAX_QUERY_LENGTH
        if not self.query or self.is_too_long:
            return Article.objects.none()
        return search.search(super().get_queryset(), self.query)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            search_query=self.query,
            is_too_long=self.is_too_long,
            max_query_length=search.MAX_QUERY_LENGTH,
            max_results=search.MAX_RESULTS,
            **kwargs,
        )
        context["is_capped"] = context["paginator"].count >= search.MAX_RESULTS
        return context
