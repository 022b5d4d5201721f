"""The shared page cache: anonymous readers get cached pages that are never wrong."""

import gzip
import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core import signing
from django.test import Client
from django.utils import timezone

from articles import workflow
from articles.caching import navigation_sections
from articles.models import Article
from comments import moderation
from comments.models import Comment
from newsroom import pagecache, spamtraps
from tests.factories import make_article, make_comment

pytestmark = pytest.mark.django_db

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RENDERED_AT_INPUT = re.compile(r'name="rendered_at" value="([^"]+)"')


@pytest.fixture
def article():
    return make_article(headline="Harbour bridge reopens after repairs")


@pytest.fixture
def editor():
    user = User.objects.create_user("editor", "editor@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def get(client, url, **headers):
    response = client.get(url, headers=headers)
    return response, response.content.decode()


def cached(client, url):
    """GET the page twice as an anonymous reader; assert the second answer came from the cache."""
    first = client.get(url)
    assert first.status_code == 200 and first["X-Page-Cache"] == "miss"
    second = client.get(url)
    assert second["X-Page-Cache"] == "hit"
    return second.content.decode()


# --- Served from the cache, with the right headers ---------------------------------------------


def test_a_second_anonymous_view_is_served_from_the_cache_without_sql(
    client, article, django_assert_num_queries
):
    client.get(article.get_absolute_url())
    with django_assert_num_queries(0):
        response = client.get(article.get_absolute_url())
    assert response["X-Page-Cache"] == "hit"
    assert "Harbour bridge reopens" in response.content.decode()


@pytest.mark.parametrize("page", ["home", "section", "print"])
def test_home_section_and_print_pages_are_cached_too(client, article, page):
    url = {
        "home": "/",
        "section": article.section.get_absolute_url(),
        "print": article.get_absolute_url() + "print/?autoprint=1",
    }[page]
    assert "Harbour bridge reopens" in cached(client, url)


def test_cached_pages_carry_cache_control_etag_and_last_modified(client, article):
    response = client.get("/")
    assert response["ETag"] and response["Last-Modified"]
    assert "must-revalidate" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]
    # The reader's page differs once they sign in or comment: caches must key on the cookie.
    assert "Cookie" in response["Vary"]
    article_page = client.get(article.get_absolute_url())
    # It carries this reader's CSRF token: browsers may keep it, shared caches may not.
    assert "private" in article_page["Cache-Control"]


def test_a_matching_etag_answers_304_and_a_stale_one_the_page(client, article):
    etag = client.get("/")["ETag"]
    response = client.get("/", headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.content == b""
    assert client.get("/", headers={"If-None-Match": '"old"'}).status_code == 200
    article.headline = "Harbour bridge reopens early"
    article.save()
    changed = client.get("/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_the_article_etag_is_tied_to_the_readers_csrf_cookie(client, article):
    url = article.get_absolute_url()
    etag = client.get(url)["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    # Another reader's copy carries another token: they get the page, not a 304.
    stranger = Client()
    stranger.get(url)
    assert stranger.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_responses_are_gzip_compressed_for_clients_that_accept_it(client, article):
    response = client.get(article.get_absolute_url(), headers={"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert "Harbour bridge reopens" in gzip.decompress(response.content).decode()


def test_unknown_query_parameters_are_rendered_but_never_stored(client, article):
    url = article.get_absolute_url()
    assert client.get(url + "?x=1")["Cache-Control"].startswith("max-age=0, no-cache")
    assert client.get(url + "?x=2").get("X-Page-Cache") is None
    assert client.get(url + "?comments_page=abc").get("X-Page-Cache") is None
    assert client.get(url + "?comments_page=1&comments_page=2").get("X-Page-Cache") is None
    # Tracking parameters do not change the page: it is shared.
    client.get(url)
    assert client.get(url + "?utm_source=newsletter")["X-Page-Cache"] == "hit"


def test_the_page_cache_can_be_turned_off(client, article, settings):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    client.get("/")
    assert "X-Page-Cache" not in client.get("/")


# --- Invalidation: every change shows on the next request ------------------------------------


def test_a_moderators_approval_shows_on_the_next_request(client, article, editor):
    held = make_comment(article, body="Pedestrians need the east walkway.", status="held")
    assert "east walkway" not in cached(client, article.get_absolute_url())
    moderation.approve(held, by=editor)
    response, html = get(client, article.get_absolute_url())
    assert response["X-Page-Cache"] == "miss"
    assert "east walkway" in html
    assert "Comments (1)" in html


def test_a_comment_hidden_by_reports_disappears_on_the_next_request(client, article, settings):
    settings.NEWSROOM_COMMENTS_REPORT_THRESHOLD = 2
    comment = make_comment(article, body="Something readers find offensive.")
    assert "readers find offensive" in cached(client, article.get_absolute_url())
    moderation.report(comment, reason="abuse", session_key="one")
    assert "readers find offensive" in get(client, article.get_absolute_url())[1]
    moderation.report(comment, reason="abuse", session_key="two")
    assert "readers find offensive" not in get(client, article.get_absolute_url())[1]


def test_an_edit_shows_on_the_next_request_on_every_page(client, article):
    urls = ["/", article.section.get_absolute_url(), article.get_absolute_url()]
    for url in urls:
        cached(client, url)
    article.headline = "Harbour bridge reopens with a new cycle lane"
    article.save()
    for url in urls:
        assert "a new cycle lane" in get(client, url)[1]


def test_publication_shows_on_the_next_request(client, article, editor):
    draft = make_article(headline="Tram line extension approved", status="draft", publish_at=None)
    assert "Tram line extension" not in cached(client, "/")
    workflow.publish(draft, by=editor)
    assert "Tram line extension" in get(client, "/")[1]


def test_a_take_down_shows_on_the_next_request(client, article, editor):
    url = article.get_absolute_url()
    cached(client, url)
    cached(client, "/")
    workflow.withdraw(article, by=editor, reason="Legal advice.")
    response, html = get(client, url)
    assert response.status_code == 410 and "Legal advice." in html
    assert "Harbour bridge reopens" not in get(client, "/")[1]
    assert client.get(url + "print/").status_code == 410


def test_a_scheduled_article_shows_as_soon_as_it_is_due(client, article):
    due = timezone.now() + timedelta(seconds=2)
    make_article(headline="Night market returns to the old quay", publish_at=due)
    assert "Night market" not in cached(client, "/")
    time.sleep(max((due - timezone.now()).total_seconds(), 0) + 0.05)
    response, html = get(client, "/")
    assert "Night market" in html and response["X-Page-Cache"] == "miss"


def test_a_page_is_kept_no_longer_than_until_its_comments_close(client, settings):
    settings.NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS = 1
    closing = make_article(publish_at=timezone.now() - timedelta(days=1) + timedelta(seconds=2))
    assert "comment-form" in cached(client, closing.get_absolute_url())
    time.sleep(2.1)
    response, html = get(client, closing.get_absolute_url())
    assert response["X-Page-Cache"] == "miss" and "Comments are closed." in html


def test_a_lost_generation_never_revives_an_old_page(client, article):
    from django.core.cache import cache

    cached(client, "/")
    article.headline = "Renamed while the generation key was evicted"
    article.save()
    cache.delete(pagecache.GENERATION_PREFIX + pagecache.SITE)
    assert "evicted" in get(client, "/")[1]


# --- Forms on cached pages --------------------------------------------------------------------


def test_a_comment_posted_from_a_cached_page_passes_csrf_and_the_spam_timestamp(article, settings):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    url = article.get_absolute_url()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_html = first.get(url).content.decode()
    response = second.get(url)
    assert response["X-Page-Cache"] == "hit"
    html = response.content.decode()
    token, rendered_at = CSRF_INPUT.search(html)[1], RENDERED_AT_INPUT.search(html)[1]
    # Fresh values for each reader, never the placeholders nor the first reader's.
    assert "__newsroom" not in html
    assert token != CSRF_INPUT.search(first_html)[1]
    assert abs(signing.loads(rendered_at, salt=spamtraps.SALT) - time.time()) < 5
    posted = second.post(
        f"/comments/post/{article.pk}/",
        {
            "csrfmiddlewaretoken": token,
            "rendered_at": rendered_at,
            "name": "Ravi",
            "email": "ravi@example.org",
            "body": "The ferry timetable should change too.",
            "website": "",
        },
    )
    assert posted.status_code == 302
    comment = Comment.objects.get(body="The ferry timetable should change too.")
    assert comment.status != Comment.Status.SPAM
    assert not comment.reasons.filter(rule="trap").exists()


def test_a_post_with_the_token_of_another_readers_cached_page_is_refused(article):
    url = article.get_absolute_url()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    token = CSRF_INPUT.search(first.get(url).content.decode())[1]
    second.get(url)
    response = second.post(f"/comments/post/{article.pk}/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 403


# --- Personal pages are never shared ----------------------------------------------------------


def post_pending_comment(reader, article):
    """Post, as `reader`, a comment that pre-moderation holds (the test sets the mode)."""
    html = reader.get(article.get_absolute_url()).content.decode()
    response = reader.post(
        f"/comments/post/{article.pk}/",
        {
            "rendered_at": RENDERED_AT_INPUT.search(html)[1],
            "name": "Noor",
            "email": "noor@example.org",
            "body": "Will the night buses still run?",
        },
    )
    assert response.status_code == 302


def test_staff_never_get_a_cached_page_and_theirs_is_never_stored(client, article, editor):
    url = article.get_absolute_url()
    cached(client, url)
    staff = Client()
    staff.force_login(editor)
    response = staff.get(url)
    assert "X-Page-Cache" not in response
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    # Their comment form is filled in with their own name: a page nobody else may see.
    assert 'value="editor"' in response.content.decode()
    assert 'value="editor"' not in Client().get(url).content.decode()


def test_a_reader_with_a_pending_comment_sees_it_and_nobody_else_does(article, settings):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    settings.NEWSROOM_COMMENTS_MODE = "pre"
    url = article.get_absolute_url()
    reader, stranger = Client(), Client()
    cached(stranger, url)
    post_pending_comment(reader, article)
    response = reader.get(url)
    assert "X-Page-Cache" not in response
    assert "awaiting moderation" in response.content.decode()
    assert "night buses" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    for _ in range(2):
        other = stranger.get(url)
        assert other["X-Page-Cache"] == "hit"
        assert "night buses" not in other.content.decode()


# --- Queries: a fixed number whatever the number of comments ----------------------------------


@pytest.mark.parametrize("comments", [5, 500])
def test_the_article_page_runs_at_most_six_queries_for_5_or_500_comments(
    client, settings, django_assert_max_num_queries, comments
):
    article = make_article()
    parents = [make_comment(article) for _ in range(comments)]
    for parent in parents[::2]:
        make_comment(article, parent=parent)
    navigation_sections()  # cached by the first page any reader opens
    # Uncached (page cache off): the article with its section, bylines, corrections, comment
    # counts, the page of threads and their replies.
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    with django_assert_max_num_queries(6):
        assert client.get(article.get_absolute_url()).status_code == 200
    # Page cache on: a miss costs the same, a hit nothing.
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 600
    with django_assert_max_num_queries(6):
        assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    with django_assert_max_num_queries(0):
        assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"


def test_articles_due_before_the_next_one_bounds_the_timeout():
    now = timezone.now()
    make_article(publish_at=now + timedelta(hours=2))
    soon = make_article(publish_at=now + timedelta(minutes=5))
    make_article(status=Article.Status.DRAFT, publish_at=now + timedelta(minutes=1))
    assert Article.objects.next_due_at(now) == soon.publish_at


def test_once_their_comment_is_approved_the_reader_gets_shared_pages_again(
    article, editor, settings
):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    settings.NEWSROOM_COMMENTS_MODE = "pre"
    url = article.get_absolute_url()
    reader = Client()
    post_pending_comment(reader, article)
    assert "X-Page-Cache" not in reader.get(url)
    moderation.approve(Comment.objects.get(name="Noor"), by=editor)
    # The next view shows it in the thread, no longer as pending, and forgets it.
    html = reader.get(url).content.decode()
    assert "night buses" in html and "awaiting moderation" not in html
    assert reader.get(url)["X-Page-Cache"] in {"hit", "miss"}


# --- The cache is down: pages from the database, writes never rolled back ----------------------


def test_without_the_cache_pages_render_from_the_database_marked_bypass(
    client, article, unreachable_cache
):
    for url in ["/", article.section.get_absolute_url(), article.get_absolute_url()]:
        response = client.get(url)
        assert response.status_code == 200
        assert response["X-Page-Cache"] == "bypass"
        assert "private" in response["Cache-Control"]
    assert article.headline in response.content.decode()


def test_a_comment_is_stored_when_its_invalidation_cannot_reach_the_cache(
    client, article, unreachable_cache, settings
):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    settings.NEWSROOM_COMMENTS_MODE = "post"
    response = client.post(
        f"/comments/post/{article.pk}/",
        {
            "name": "Asha Rao",
            "email": "asha@example.org",
            "body": "Posted while the cache was down.",
            "rendered_at": spamtraps.sign_render_time(),
            "website": "",
        },
    )
    assert response.status_code == 302
    assert Comment.objects.get().body == "Posted while the cache was down."
    page = client.get(article.get_absolute_url())
    assert "Posted while the cache was down." in page.content.decode()


def test_pages_stored_before_an_outage_are_retired_when_the_cache_returns(client, article):
    from newsroom.cache import CircuitBreaker

    assert article.headline in cached(client, article.get_absolute_url())
    # A change made while this process could not reach the cache: its invalidation is lost.
    Article.objects.filter(pk=article.pk).update(headline="Bridge closes again")
    breaker = CircuitBreaker(reset_seconds=5)
    breaker.record_failure(ConnectionError("refused"))
    breaker.record_success()  # the cache answers again
    response, html = get(client, article.get_absolute_url())
    assert response["X-Page-Cache"] == "miss"
    assert "Bridge closes again" in html


def test_navigation_comes_from_the_database_without_the_cache(article, unreachable_cache):
    assert [section.pk for section in navigation_sections()] == [article.section_id]
