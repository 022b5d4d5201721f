"""A reader's held comments live in their session: remembered on posting, forgotten on approval."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.template import Context, Template
from django.test import Client, RequestFactory

from comments import moderation, pending
from comments.models import Comment
from tests.factories import make_article, make_comment

pytestmark = pytest.mark.django_db


def test_the_session_remembers_the_newest_twenty_held_comments():
    session = {}
    comments = [make_comment(status="held") for _ in range(pending.REMEMBERED + 2)]
    for comment in comments:
        pending.remember(session, comment)
    assert pending.comment_ids(session) == [c.pk for c in comments[-pending.REMEMBERED :]]


def test_the_thread_lists_only_the_readers_unpublished_comments_on_that_article():
    article = make_article()
    held = make_comment(article, status="held")
    approved = make_comment(article)
    elsewhere = make_comment(status="held")
    session = {pending.SESSION_KEY: [held.pk, approved.pk, elsewhere.pk]}
    assert pending.for_article(session, article) == [held]


def test_rendering_the_thread_never_writes_the_session():
    article = make_article()
    published = make_comment(article)
    held = make_comment(article, status="held", body="Still waiting for a moderator.")
    request = RequestFactory().get(article.get_absolute_url())
    request.session = SessionStore()
    request.session[pending.SESSION_KEY] = [published.pk, held.pk]
    request.session.save()
    request.session = SessionStore(request.session.session_key)
    template = Template(
        "{% load comments %}{% comment_thread article as thread %}"
        "{% for c in thread.pending %}{{ c.body }}{% endfor %}"
    )
    html = template.render(Context({"request": request, "article": article}))
    assert "Still waiting" in html
    assert not request.session.modified
    assert request.session[pending.SESSION_KEY] == [published.pk, held.pk]


def test_opening_the_article_forgets_published_comments_and_keeps_held_ones(settings):
    settings.NEWSROOM_COMMENTS_MODE = "pre"
    article = make_article()
    reader = Client()
    kept, approved = (
        moderation.submit(
            moderation.Submission(article=article, name="Noor", email="n@example.org", body=body)
        )
        for body in ("Kept back for now.", "Approved later.")
    )
    session = reader.session
    for comment in (kept, approved):
        pending.remember(session, comment)
    session.save()
    moderation.approve(Comment.objects.get(pk=approved.pk), by=None)
    reader.get(article.section.get_absolute_url())
    assert pending.comment_ids(reader.session) == [kept.pk, approved.pk]  # other pages: untouched
    html = reader.get(article.get_absolute_url()).content.decode()
    assert pending.comment_ids(reader.session) == [kept.pk]
    assert "Kept back for now." in html and "Approved later." in html
