"""Every write that changes what readers see of comments retires the article's cached pages.

The comments app calls its invalidation from those writes, never from model signals.
"""

import io
import re

import pytest
from django.core.management import call_command
from django.db.models.signals import post_delete, post_save
from django.template import Context, Template
from django.test import Client

from comments import moderation
from comments.models import Comment
from comments.templatetags import comments as comments_tags
from newsroom import pagecache
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return make_article(headline="Tram depot plans go on show")


def cached_html(client, url):
    """GET the page twice as an anonymous reader; return the second answer, from the cache."""
    client.get(url)
    response = client.get(url)
    assert response["X-Page-Cache"] == "hit"
    return response.content.decode()


def fresh_html(client, url):
    response = client.get(url)
    assert response["X-Page-Cache"] == "miss"
    return response.content.decode()


def submission(article, body):
    return moderation.Submission(
        article=article, name="Imran", email="imran@example.org", body=body
    )


def test_a_published_submission_shows_on_the_next_request(client, article, settings):
    settings.NEWSROOM_COMMENTS_MODE = "post"
    url = article.get_absolute_url()
    cached_html(client, url)
    moderation.submit(submission(article, "The depot needs a second exit."))
    assert "second exit" in fresh_html(client, url)


def test_a_new_comment_renders_only_its_own_markup_and_the_thread(
    client, article, settings, renders
):
    settings.NEWSROOM_COMMENTS_MODE = "post"
    for n in range(3):
        make_comment(article, body=f"Earlier comment {n}.")
    url = article.get_absolute_url()
    cached_html(client, url)
    renders.clear()
    new = moderation.submit(submission(article, "The newest word."))
    response = client.get(url)
    assert response["X-Page-Cache"] == "miss"
    assert renders == [new.pk]
    assert [t.name for t in response.templates] == [
        "comments/article_comments.html",
        "comments/_comments_section.html",
    ]
    html = response.content.decode()
    assert html.count('<li class="comment"') == 4 and "The newest word." in html
    assert "Comments (4)" in html


def test_an_unchanged_comments_section_is_taken_from_memory(client, article, renders, monkeypatch):
    for n in range(3):
        parent = make_comment(article, body=f"Earlier comment {n}.")
    make_comment(article, body="A reply.", parent=parent)
    url = article.get_absolute_url()
    first = cached_html(client, url)
    renders.clear()
    built = []
    real_init = comments_tags.ThreadComment.__init__
    monkeypatch.setattr(
        comments_tags.ThreadComment,
        "__init__",
        lambda comment, *row: built.append(row) or real_init(comment, *row),
    )
    pagecache.invalidate_article(article.slug)  # e.g. a comment approved, then rejected
    response = client.get(url)
    assert response["X-Page-Cache"] == "miss"
    assert [t.name for t in response.templates] == ["comments/article_comments.html"]
    assert response.content.decode() == first and renders == []
    assert built == []  # kept under the comments' rows: no thread was built from them


def test_a_cached_pages_form_is_rendered_once_per_worker_and_the_same_for_each_reader(
    client, article
):
    url = article.get_absolute_url()
    first = cached_html(client, url)
    pagecache.invalidate_article(article.slug)  # what a new comment does
    response = client.get(url)
    assert response["X-Page-Cache"] == "miss"
    assert "comments/_comment_form.html" not in [t.name for t in response.templates]
    form = re.search(r'<section class="comment-form-section".*?</section>', first, re.S)[0]
    assert form in response.content.decode()
    # Still the shared page's form: no reader's token, the bot traps in place.
    assert "csrfmiddlewaretoken" not in form
    assert 'name="website"' in form and 'name="rendered_at" value=""' in form
    assert f'action="/comments/post/{article.pk}/#comment-form-errors"' in form


def test_the_kept_form_shows_the_desks_message_of_the_moment(article):
    template = Template("{% load comments %}{% comment_form_section thread article %}")

    def section(desk_message):
        form = comments_tags._blank_shared_form()
        thread = comments_tags.Thread(is_open=True, form=form, desk_message=desk_message)
        context = {"thread": thread, "article": article, "is_shared_page": True}
        return template.render(Context(context))

    assert "Comments are held until 09:00." in section("Comments are held until 09:00.")
    assert 'class="comment-desk"' not in section("")


def test_a_reply_form_and_a_form_shown_again_are_rendered_for_their_reader(client, article):
    parent = make_comment(article, name="Ravi")
    client.get(article.get_absolute_url())  # the shared form, kept
    reply = client.get(f"{article.get_absolute_url()}?reply_to={parent.pk}").content.decode()
    assert "Reply to Ravi" in reply and f'name="parent" value="{parent.pk}"' in reply
    post = Client().post(f"/comments/post/{article.pk}/", {"name": "", "body": "Too quick"})
    assert post.status_code == 400
    assert "Your comment was not posted" in post.content.decode()


def test_a_held_submission_keeps_the_cached_pages(client, article, settings):
    settings.NEWSROOM_COMMENTS_MODE = "pre"
    url = article.get_absolute_url()
    cached_html(client, url)
    moderation.submit(submission(article, "Held until a moderator reads it."))
    assert "Held until" not in cached_html(client, url)


def test_a_rejection_takes_the_comment_off_the_next_request(client, article):
    comment = make_comment(article, body="Approved, then rejected.")
    url = article.get_absolute_url()
    assert "then rejected" in cached_html(client, url)
    moderation.reject(comment, by=None)
    assert "then rejected" not in fresh_html(client, url)


def test_forget_commenter_shows_on_the_next_request(client, article):
    make_comment(article, name="Asha Rao", email="asha@example.org", body="My own words")
    url = article.get_absolute_url()
    assert "My own words" in cached_html(client, url)
    call_command("forget_commenter", "asha@example.org", stdout=io.StringIO())
    html = fresh_html(client, url)
    assert "My own words" not in html and "Former reader" in html


@pytest.fixture
def moderator_client(client):
    user = make_user("mod", groups=["Moderators"], is_staff=True)
    moderator = Client()
    moderator.force_login(user)
    return moderator


def test_deleting_a_comment_in_the_admin_shows_on_the_next_request(
    client, article, moderator_client
):
    comment = make_comment(article, body="Deleted from the change page.")
    url = article.get_absolute_url()
    assert "change page" in cached_html(client, url)
    response = moderator_client.post(
        f"/admin/comments/comment/{comment.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302 and not Comment.objects.filter(pk=comment.pk).exists()
    assert "change page" not in fresh_html(client, url)


def test_deleting_selected_comments_in_the_admin_shows_on_the_next_request(
    client, article, moderator_client
):
    other = make_article()
    comments = [
        make_comment(article, body="First deleted comment."),
        make_comment(other, body="Second deleted comment."),
    ]
    urls = [article.get_absolute_url(), other.get_absolute_url()]
    for url in urls:
        cached_html(client, url)
    response = moderator_client.post(
        "/admin/comments/comment/?status=all",
        {
            "action": "delete_selected",
            "_selected_action": [c.pk for c in comments],
            "post": "yes",
        },
    )
    assert response.status_code == 302 and not Comment.objects.exists()
    for url in urls:
        assert "deleted comment" not in fresh_html(client, url)


def test_comments_invalidate_by_direct_calls_not_model_signals():
    assert not post_save.has_listeners(Comment)
    assert not post_delete.has_listeners(Comment)
