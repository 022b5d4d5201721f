import datetime

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.generic import DetailView, ListView

from .models import Article, Author, Section


class PublishedArticleMixin:
    """Start every reader page from the one definition of what readers may see."""

    def get_queryset(self):
        return Article.objects.published().with_byline()


class HomeView(PublishedArticleMixin, ListView):
    template_name = "articles/home.html"
    paginate_by = settings.NEWSROOM_ARTICLES_PER_PAGE


class SectionView(PublishedArticleMixin, ListView):
    template_name = "articles/section_detail.html"
    paginate_by = settings.NEWSROOM_ARTICLES_PER_PAGE

    def get_queryset(self):
        self.section = get_object_or_404(Section, slug=self.kwargs["slug"])
        return super().get_queryset().filter(section=self.section)

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.section, **kwargs)


class AuthorView(PublishedArticleMixin, ListView):
    template_name = "articles/author_detail.html"
    paginate_by = settings.NEWSROOM_ARTICLES_PER_PAGE

    def get_queryset(self):
        self.author = get_object_or_404(Author, slug=self.kwargs["slug"])
        return super().get_queryset().filter(bylines__author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class ArticleDetailView(PublishedArticleMixin, DetailView):
    """The article at its one canonical URL; staff editors also see unpublished previews."""

    def get_queryset(self):
        if self.request.user.has_perm("articles.change_article"):
            return Article.objects.with_byline()
        return super().get_queryset()

    def get(self, request, *args, **kwargs):
        try:
            datetime.date(int(kwargs["year"]), int(kwargs["month"]), int(kwargs["day"]))
        except ValueError:
            raise Http404("No such date.") from None
        self.object = self.get_object()
        is_preview = not self.object.is_published()
        canonical_url = self.object.get_absolute_url()
        if request.path != canonical_url:
            return redirect(canonical_url, permanent=not is_preview)
        response = self.render_to_response(self.get_context_data(is_preview=is_preview))
        if is_preview:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True, no_store=True)
            response.headers["X-Robots-Tag"] = "noindex"
        return response


def article_shortlink(request, slug):
    """Redirect a bare slug to the article's canonical URL."""
    if request.user.has_perm("articles.change_article"):
        article = get_object_or_404(Article, slug=slug)
        return redirect(article, permanent=article.is_published())
    return redirect(get_object_or_404(Article.objects.published(), slug=slug), permanent=True)
