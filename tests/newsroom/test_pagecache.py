"""The shared page cache: anonymous readers get cached pages that are never wrong."""

import gzip
import re
import time
from datetime import timedelta

import brotli
import pytest
from django.contrib.auth.models import Group
from django.core import signing
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import workflow
from articles.caching import navigation_sections
from articles.models import Article
from comments import moderation, staffing
from comments.forms import CommentForm
from comments.models import Comment
from newsroom import pagecache, spamtraps
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RENDERED_AT_INPUT = re.compile(r'name="rendered_at" value="([^"]+)"')


@pytest.fixture
def article():
    return make_article(headline="Harbour bridge reopens after repairs")


@pytest.fixture
def editor():
    user = make_user("editor", is_staff=True)
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
    for url in ("/", article.get_absolute_url()):
        response = client.get(url)
        assert response["ETag"] and response["Last-Modified"]
        assert "public" in response["Cache-Control"]
        assert "must-revalidate" in response["Cache-Control"]
        assert "max-age=0" in response["Cache-Control"]
        # Every anonymous reader gets these bytes: shared caches need not key on the cookie
        # (readers with a session are never served them: varnish/newsroom.vcl, the middleware).
        assert "Cookie" not in response["Vary"]
        assert not response.cookies


def test_hits_from_memory_answer_with_the_headers_of_the_pages_first_answer(client, article):
    def headers(response):
        per_response = {"X-Page-Cache", "Surrogate-Control", "Content-Length", "Content-Encoding"}
        return {name: value for name, value in response.items() if name not in per_response}

    url = article.get_absolute_url()
    miss = client.get(url)
    assert miss["X-Page-Cache"] == "miss"
    assert {"X-Frame-Options", "Content-Security-Policy"} <= set(miss.headers)
    # As on a worker that did not render it: the first hit comes from the shared cache through
    # the view, and this worker keeps it; the next ones come from this worker's memory.
    pagecache.memory.clear()
    for accept, length in (("", len(miss.content)), ("", len(miss.content)), ("gzip", None)):
        hit = client.get(url, headers={"Accept-Encoding": accept})
        assert hit["X-Page-Cache"] == "hit"
        assert headers(hit) == {**headers(miss), "ETag": hit["ETag"]}
        assert int(hit["Content-Length"]) == (length or len(hit.content))
        assert hit.get("Content-Encoding") == (accept or None)


def test_a_page_kept_in_one_language_is_not_served_in_another(client, article, settings):
    url = article.get_absolute_url()
    cached(client, url)
    # A deploy that changes the site's language: the shared cache still holds the old pages.
    settings.LANGUAGE_CODE = "hi"
    pagecache.memory.clear()
    response = client.get(url)
    assert response["X-Page-Cache"] == "miss"
    assert '<html lang="hi">' in response.content.decode()


def test_a_matching_etag_answers_304_and_a_stale_one_the_page(client, article):
    etag = client.get("/")["ETag"]
    response = client.get("/", headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.content == b""
    assert client.get("/", headers={"If-None-Match": '"old"'}).status_code == 200
    article.headline = "Harbour bridge reopens early"
    article.save()
    changed = client.get("/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_two_anonymous_readers_get_byte_identical_article_pages(article):
    url = article.get_absolute_url()
    first, second = Client(), Client()
    miss, hit = first.get(url), second.get(url)
    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")
    assert miss.content == hit.content
    assert miss["ETag"] == hit["ETag"]
    html = hit.content.decode()
    assert "csrfmiddlewaretoken" not in html
    assert RENDERED_AT_INPUT.search(html) is None  # the timestamp field is there, empty
    assert 'name="rendered_at"' in html
    # A reader with a CSRF cookie from another page (the report form) gets the same bytes.
    third = Client()
    third.cookies["csrftoken"] = "x" * 32
    assert third.get(url).content == miss.content


@pytest.mark.parametrize(
    ("accept", "encoding", "decompress"),
    [
        ("gzip, deflate", "gzip", gzip.decompress),
        ("gzip, deflate, br", "br", brotli.decompress),
        ("br;q=0, gzip", "gzip", gzip.decompress),
    ],
)
def test_cached_pages_are_served_pre_compressed(client, article, accept, encoding, decompress):
    url = article.get_absolute_url()
    plain = client.get(url)
    response = client.get(url, headers={"Accept-Encoding": accept})
    assert response["X-Page-Cache"] == "hit"
    assert response["Content-Encoding"] == encoding
    assert decompress(response.content) == plain.content
    assert response["ETag"] != plain["ETag"]  # a strong ETag per encoding
    assert "Accept-Encoding" in response["Vary"]
    # Compressed once, when the page was rendered: a hit only picks the bytes.
    page = pagecache.memory.get(pagecache._page_key(response.wsgi_request))
    assert page["encodings"][encoding] == response.content


def test_a_hit_asks_the_shared_cache_for_the_generations_only(client, article):
    url = article.get_absolute_url()
    assert client.get(url)["X-Page-Cache"] == "miss"
    backend = caches["default"]
    asked, depth = [], []
    # get_many_tracked: the Redis backend's read of values it keeps exact in this process.
    methods = [m for m in ("get", "get_many", "get_many_tracked", "has_key") if hasattr(backend, m)]
    for method in methods:
        real = getattr(backend, method)

        def spy(keys, *args, _real=real, **kwargs):
            if not depth:  # the local-memory backend's get_many calls its get
                asked.extend([keys] if isinstance(keys, str) else keys)
            depth.append(1)
            try:
                return _real(keys, *args, **kwargs)
            finally:
                depth.pop()

        setattr(backend, method, spy)
    try:
        response = client.get(url)
    finally:
        for method in methods:
            delattr(backend, method)
    assert response["X-Page-Cache"] == "hit"
    assert sorted(asked) == sorted(
        pagecache.GENERATION_PREFIX + scope
        for scope in (pagecache.SITE, pagecache.article_scope(article.slug))
    )


def test_a_page_another_server_retired_is_not_served_from_memory(client, article):
    url = article.get_absolute_url()
    cached(client, url)
    # What any server's invalidation does: the generation in the shared cache changes.
    pagecache._replace_generations([pagecache.article_scope(article.slug)])
    assert client.get(url)["X-Page-Cache"] == "miss"


def test_memory_keeps_the_most_recently_used_pages_within_its_bound():
    def page(size):
        return {"encodings": {"identity": b"x" * size}}

    memory = pagecache.PageMemory(max_bytes=250)
    memory.put("a", page(100))
    memory.put("b", page(100))
    memory.get("a")  # now b is the least recently used
    memory.put("c", page(100))
    assert memory.get("b") is None
    assert memory.get("a") is not None and memory.get("c") is not None
    assert memory.bytes == 200
    memory.put("huge", page(300))  # larger than the whole bound: never kept
    assert memory.get("huge") is None and len(memory) == 2


def test_remembered_html_counts_its_key_against_the_memory_bound(monkeypatch):
    monkeypatch.setattr(pagecache, "memory", pagecache.PageMemory(max_bytes=10_000))
    body = "x" * 4_000
    # A key that holds a comment's body, as a thread's does, beside HTML of the same size.
    assert pagecache.remembered(("thread", (1, body)), lambda: body) == body
    assert pagecache.memory.bytes >= 8_000
    pagecache.remembered(("thread", (2, body)), lambda: body)
    assert len(pagecache.memory) == 1  # the two do not fit in 10,000 bytes


def test_the_memory_bound_is_a_setting_of_64_mb_by_default():
    from newsroom import settings as project_settings

    assert project_settings.NEWSROOM_PAGE_MEMORY_MB == 64
    assert pagecache.memory.max_bytes == 64 * 1024 * 1024


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
    # The process's first page (templates compiled, URLs loaded) can take over a second on a
    # loaded machine, and a page with less than a second to live is not stored.
    get(client, "/")
    due = timezone.now() + timedelta(seconds=3)
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
    assert response["X-Page-Cache"] == "miss" and "Comments closed on" in html


def test_a_lost_generation_never_revives_an_old_page(client, article):
    from django.core.cache import cache

    cached(client, "/")
    article.headline = "Renamed while the generation key was evicted"
    article.save()
    cache.delete(pagecache.GENERATION_PREFIX + pagecache.SITE)
    assert "evicted" in get(client, "/")[1]


# --- Forms on cached pages --------------------------------------------------------------------


def comment_values(**overrides):
    return {
        "name": "Ravi",
        "email": "ravi@example.org",
        "body": "The ferry timetable should change too.",
        "website": "",
        **overrides,
    }


def test_a_comment_from_a_cached_page_with_javascript_passes_csrf_and_the_timestamp(
    article, settings
):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    url = article.get_absolute_url()
    Client().get(url)
    reader = Client(enforce_csrf_checks=True)
    assert reader.get(url)["X-Page-Cache"] == "hit"
    # What static/js/site.js does when the reader starts writing.
    stamp = reader.get("/form-stamp/")
    assert "no-cache" in stamp["Cache-Control"]
    rendered_at = stamp.json()["rendered_at"]
    assert abs(signing.loads(rendered_at, salt=spamtraps.SALT) - time.time()) < 5
    posted = reader.post(
        f"/comments/post/{article.pk}/",
        comment_values(rendered_at=rendered_at),
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert posted.status_code == 302
    comment = Comment.objects.get(body="The ferry timetable should change too.")
    assert comment.status != Comment.Status.SPAM
    assert not comment.reasons.filter(rule="trap").exists()


def test_a_comment_from_a_cached_page_without_javascript_comes_back_once_then_passes(
    article, settings
):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    url = article.get_absolute_url()
    reader = Client(enforce_csrf_checks=True)
    reader.get(url)
    browser = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    again = reader.post(
        f"/comments/post/{article.pk}/", comment_values(rendered_at=""), headers=browser
    )
    # Nothing stored yet; the form is shown again with the text and a timestamp in it.
    assert again.status_code == 400 and not Comment.objects.exists()
    html = again.content.decode()
    assert "press “Post comment” again" in html
    assert "The ferry timetable should change too." in html
    rendered_at = RENDERED_AT_INPUT.search(html)[1]
    token = CSRF_INPUT.search(html)[1]
    posted = reader.post(
        f"/comments/post/{article.pk}/",
        comment_values(rendered_at=rendered_at, csrfmiddlewaretoken=token),
        headers=browser,
    )
    assert posted.status_code == 302
    assert Comment.objects.get().status != Comment.Status.SPAM


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://attacker.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://blog.testserver"},
        {"Origin": "https://attacker.example"},  # an older browser: no Sec-Fetch-Site
        {"Origin": "null"},  # a sandboxed frame or a data: URL
    ],
)
def test_a_cross_site_comment_post_is_refused(article, settings, headers):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    response = Client(enforce_csrf_checks=True).post(
        f"/comments/post/{article.pk}/",
        comment_values(rendered_at=spamtraps.sign_render_time()),
        headers=headers,
    )
    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_a_trusted_origin_may_post(article, settings):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    settings.CSRF_TRUSTED_ORIGINS = ["https://www.example.org"]
    response = Client(enforce_csrf_checks=True).post(
        f"/comments/post/{article.pk}/",
        comment_values(rendered_at=spamtraps.sign_render_time()),
        headers={"Origin": "https://www.example.org", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 302


def test_a_signed_in_reader_needs_the_csrf_token_as_well(article, editor, settings):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(editor)
    html = staff.get(article.get_absolute_url()).content.decode()
    values = comment_values(rendered_at=RENDERED_AT_INPUT.search(html)[1])
    same_origin = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    url = f"/comments/post/{article.pk}/"
    assert staff.post(url, values, headers=same_origin).status_code == 403
    values["csrfmiddlewaretoken"] = CSRF_INPUT.search(html)[1]
    assert staff.post(url, values, headers=same_origin).status_code == 302


@pytest.mark.parametrize("trap", ["honeypot", "too fast", "forged timestamp"])
def test_the_bot_traps_still_catch_a_bot_on_a_cached_page(article, settings, trap):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 3
    url = article.get_absolute_url()
    Client().get(url)
    bot = Client(enforce_csrf_checks=True)
    assert bot.get(url)["X-Page-Cache"] == "hit"
    values = {
        "honeypot": comment_values(website="http://cheap-pills.example", rendered_at=""),
        # It runs our script, or re-posts the form it got back, at once.
        "too fast": comment_values(rendered_at=bot.get("/form-stamp/").json()["rendered_at"]),
        "forged timestamp": comment_values(rendered_at="1700000000:forged"),
    }[trap]
    response = bot.post(f"/comments/post/{article.pk}/", values)
    assert response.status_code == 302  # it learns nothing
    assert Comment.objects.get().status == Comment.Status.SPAM


# --- Personal pages are never shared ----------------------------------------------------------


def post_pending_comment(reader, article):
    """Post, as `reader`, a comment that pre-moderation holds (the test sets the mode)."""
    reader.get(article.get_absolute_url())
    response = reader.post(
        f"/comments/post/{article.pk}/",
        {
            "rendered_at": reader.get("/form-stamp/").json()["rendered_at"],
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
    staffing.schedules()  # so are the desk's staffed hours
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
    [(_, next_due_at)] = Article.objects.count_and_next_due(now)
    assert next_due_at == soon.publish_at


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


# --- A miss renders only what changed ---------------------------------------------------------


def test_an_approved_comment_re_renders_only_the_thread(client, article, editor):
    url = article.get_absolute_url()
    held = make_comment(article, body="The tide tables are out of date.", status="held")
    cached(client, url)
    moderation.approve(held, by=editor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    html = response.content.decode()
    assert response["X-Page-Cache"] == "miss"
    assert "tide tables are out of date" in html and "Comments (1)" in html
    rendered = {template.name for template in response.templates}
    assert "comments/article_comments.html" in rendered
    assert not rendered & {"base.html", "articles/article_detail.html", "articles/_byline.html"}
    # The comments' own queries only: the article, its bylines and corrections are not loaded.
    assert queries.captured_queries
    assert all("comments_comment" in q["sql"] for q in queries.captured_queries)
    # The same bytes as a page rendered whole.
    whole = Client()
    whole.force_login(editor)
    staff_html = whole.get(url).content.decode()
    assert html.count('class="comment"') == staff_html.count('class="comment"') == 1


def test_a_new_comment_takes_the_article_part_from_this_workers_memory(client, article, editor):
    url = article.get_absolute_url()
    held = make_comment(article, body="The ferry timetable changed in May.", status="held")
    cached(client, url)
    moderation.approve(held, by=editor)
    backend = caches["default"]
    asked = []
    real_get = backend.get

    def spy(key, *args, **kwargs):
        asked.append(key)
        return real_get(key, *args, **kwargs)

    backend.get = spy
    try:
        response = client.get(url)
    finally:
        del backend.get
    assert response["X-Page-Cache"] == "miss"
    assert "ferry timetable changed" in response.content.decode()
    assert not [key for key in asked if key.startswith(pagecache.FRAGMENT_PREFIX)]


def test_a_miss_does_not_build_a_comment_form_for_the_blank_form(client, article, monkeypatch):
    url = article.get_absolute_url()
    first = cached(client, url)
    built = []
    real_init = CommentForm.__init__

    def counting_init(self, *args, **kwargs):
        built.append(1)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(CommentForm, "__init__", counting_init)
    pagecache._replace_generations([pagecache.article_scope(article.slug)])
    pagecache.memory.clear()
    again = client.get(url)
    assert again["X-Page-Cache"] == "miss"
    assert again.content.decode() == first
    assert built == []


def test_a_site_change_re_renders_the_article_part(client, article):
    url = article.get_absolute_url()
    cached(client, url)
    article.dek = "Engineers finished a month early."
    article.save()
    response = client.get(url)
    assert {t.name for t in response.templates} >= {"base.html", "articles/article_detail.html"}
    assert "finished a month early" in response.content.decode()


def test_a_cached_article_page_is_the_page_rendered_whole(client, article, settings):
    make_comment(article, body="First!")
    url = article.get_absolute_url()
    miss = client.get(url)
    assert miss["X-Page-Cache"] == "miss"
    pagecache.memory.clear()
    pagecache._replace_generations([pagecache.article_scope(article.slug)])
    from_fragment = client.get(url)
    assert from_fragment["X-Page-Cache"] == "miss"
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    whole = client.get(url).content
    assert miss.content == from_fragment.content

    def shared_parts(body):
        """Leave out what a page rendered for one reader has of its own, and the print time."""
        body = re.sub(rb"Printed on <time.*?</time>", b"", body)
        body = re.sub(rb'<input type="hidden" name="csrfmiddlewaretoken"[^>]*>', b"", body)
        return re.sub(rb'(name="rendered_at")[^>]*>', rb"\1>", body)

    assert shared_parts(from_fragment.content) == shared_parts(whole)
