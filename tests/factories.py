"""Plain factories for test data: readable at a glance, overridable per test."""

import itertools
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from articles.models import Article, ArticleAuthor, Author, Section

_sequence = itertools.count(1)


def make_user(username=None, *, groups=(), password=None, **fields):
    """Create a user in the named role groups; without a password it can only force_login."""
    username = username or f"user-{next(_sequence)}"
    fields.setdefault("email", f"{username}@example.org")
    user = get_user_model().objects.create_user(username, password=password, **fields)
    # get_or_create: transactional tests flush the groups the roles migrations made.
    user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in groups))
    return user


def make_section(**overrides):
    n = next(_sequence)
    fields = {"name": f"Section {n}", "slug": f"section-{n}"}
    fields.update(overrides)
    return Section.objects.create(**fields)


def make_author(**overrides):
    n = next(_sequence)
    fields = {"name": f"Reporter {n}", "slug": f"reporter-{n}"}
    fields.update(overrides)
    return Author.objects.create(**fields)


def make_article(*, authors=None, **overrides):
    """Create a published article (an hour old) unless overrides say otherwise."""
    n = next(_sequence)
    fields = {
        "headline": f"Headline number {n}",
        "slug": f"headline-number-{n}",
        "dek": f"A one-sentence summary of story {n}.",
        "body": f"<p>The first paragraph of story {n}.</p>",
        "status": Article.Status.PUBLISHED,
        "publish_at": timezone.now() - timedelta(hours=1),
    }
    fields.update(overrides)
    if "section" not in fields:
        fields["section"] = make_section()
    article = Article.objects.create(**fields)
    for order, author in enumerate(authors if authors is not None else [make_author()]):
        ArticleAuthor.objects.create(article=article, author=author, order=order)
    return article


def make_articles(n, **overrides):
    """Create n published articles with the same overrides, newest last."""
    return [make_article(**overrides) for _ in range(n)]


def make_comment(article=None, **overrides):
    """Create an approved comment (an hour old) on the article, or on a new one."""
    from comments.models import Comment

    n = next(_sequence)
    fields = {
        "article": article or make_article(),
        "name": f"Reader {n}",
        "email": f"reader{n}@example.org",
        "body": f"Comment number {n}.",
        "status": Comment.Status.APPROVED,
        "created_at": timezone.now() - timedelta(hours=1),
    }
    fields.update(overrides)
    return Comment.objects.create(**fields)


def make_hidden_articles(**overrides):
    """Create one article readers must not see in each way it can be hidden, keyed by that way."""
    from articles.models import PreviewLink

    now = timezone.now()
    hidden = {
        "draft": make_article(status=Article.Status.DRAFT, publish_at=None, **overrides),
        "in review": make_article(status=Article.Status.IN_REVIEW, publish_at=None, **overrides),
        "scheduled": make_article(publish_at=now + timedelta(hours=2), **overrides),
        "unpublished": make_article(status=Article.Status.UNPUBLISHED, **overrides),
        "taken down": make_article(status=Article.Status.WITHDRAWN, withdrawn_at=now, **overrides),
        "preview only": make_article(status=Article.Status.DRAFT, publish_at=None, **overrides),
    }
    PreviewLink.objects.create(article=hidden["preview only"])
    return hidden
