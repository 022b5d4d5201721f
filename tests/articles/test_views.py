import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from articles.models import Article
from tests.factories import make_article, make_author, make_section

pytestmark = pytest.mark.django_db


def visible_text(html):
    """Collapse a fragment of HTML to the text a reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


@pytest.fixture
def editor(client):
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_article"))
    client.force_login(user)
    return user


# --- The article page ------------------------------------------------------------------------


def test_article_page_shows_headline_dek_byline_toolbar_and_comments_place(client):
    section = make_section(name="Nation", slug="nation")
    article = make_article(
        headline="Ministers agree on river data",
        dek="The two sides will share flood readings every hour.",
        body="<h2>What was agreed</h2><p>Hourly readings.</p>",
        section=section,
        authors=[make_author(name="Staff Reporter", is_desk=True)],
    )
    response = client.get(article.get_absolute_url())
    html = response.content.decode()

    assert response.status_code == 200
    assert (
        '<h1 id="article-headline" class="article-headline">Ministers agree on river data</h1>'
        in html
    )
    assert "The two sides will share flood readings every hour." in html
    assert "<h2>What was agreed</h2>" in html
    assert "<title>Ministers agree on river data | The Newsroom</title>" in html
    assert (
        '<meta name="description" content="The two sides will share flood readings every hour.">'
        in html
    )
    assert (
        f'<link rel="canonical" href="http://127.0.0.1:8000{article.get_absolute_url()}">' in html
    )
    toolbar = html.split('aria-label="Article tools"')[1].split("</nav>")[0]
    assert [visible_text(link) for link in re.findall(r"<a [^>]*>.*?</a>", toolbar)] == [
        "Print",
        "Email",
        "Comments",
    ]
    assert 'id="comments"' in html
    for landmark in ("<article", "<header", "<nav", "<main", "<time"):
        assert landmark in html


def test_byline_shows_authors_and_ist_time_in_the_house_format(client):
    article = make_article(
        authors=[make_author(name="Staff Reporter", is_desk=True)],
        publish_at=datetime(2023, 10, 23, 20, 54, tzinfo=UTC),
    )
    html = client.get(article.get_absolute_url()).content.decode()
    byline = re.search(r'<p class="byline">.*?</p>', html, re.S).group(0)

    assert visible_text(byline) == "By Staff Reporter | Tuesday, 24 October 2023, 02:24 IST"
    assert '<time datetime="2023-10-24T02:24:00+05:30">' in byline


def test_byline_joins_several_authors_in_order(client):
    article = make_article(
        authors=[
            make_author(name="Asha Rao"),
            make_author(name="Jon Bell"),
            make_author(name="Li Wen"),
        ]
    )
    html = client.get(article.get_absolute_url()).content.decode()
    byline = re.search(r'<p class="byline">.*?</p>', html, re.S).group(0)
    assert visible_text(byline).startswith("By Asha Rao, Jon Bell and Li Wen |")


def test_article_body_is_rendered_as_sanitized_html(client):
    article = make_article(
        body='<p>Safe <a href="javascript:alert(1)">x</a></p><script>x()</script>'
    )
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<p>Safe <a>x</a></p>" in html
    assert "javascript:" not in html and "<script>x()" not in html


# --- Visibility ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": Article.Status.DRAFT, "publish_at": None},
        {"status": Article.Status.IN_REVIEW, "publish_at": None},
        {"status": Article.Status.DRAFT, "publish_at": timezone.now() - timedelta(days=1)},
        {"publish_at": timezone.now() + timedelta(days=1)},
    ],
    ids=["draft", "in-review", "draft-with-past-time", "scheduled"],
)
def test_unpublished_article_is_404_for_readers_without_a_hint_of_its_title(client, overrides):
    article = make_article(headline="Secret embargoed scoop", **overrides)
    for url in (article.get_absolute_url(), f"/a/{article.slug}/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Secret embargoed scoop" not in response.content.decode()
        assert "embargoed" not in response.content.decode()


def test_scheduled_article_is_visible_once_its_time_has_come(client):
    article = make_article(publish_at=timezone.now() + timedelta(seconds=30))
    assert client.get(article.get_absolute_url()).status_code == 404
    Article.objects.filter(pk=article.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert client.get(article.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    "overrides, banner_text",
    [
        ({"status": Article.Status.DRAFT, "publish_at": None}, "Status: Draft"),
        ({"status": Article.Status.IN_REVIEW, "publish_at": None}, "Status: In review"),
        ({"publish_at": timezone.now() + timedelta(days=1)}, "Scheduled for"),
    ],
)
def test_staff_with_change_permission_see_a_preview_with_a_banner(
    client, editor, overrides, banner_text
):
    article = make_article(headline="Work in progress", **overrides)
    response = client.get(article.get_absolute_url())
    html = response.content.decode()

    assert response.status_code == 200
    assert "Preview — not published." in html and banner_text in html
    assert '<meta name="robots" content="noindex">' in html
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_staff_without_change_permission_get_404_for_drafts(client):
    client.force_login(User.objects.create_user("intern", password="pw", is_staff=True))
    article = make_article(status=Article.Status.DRAFT, publish_at=None)
    assert client.get(article.get_absolute_url()).status_code == 404


def test_published_article_has_no_preview_banner_for_staff(client, editor):
    article = make_article()
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Preview — not published" not in html


# --- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/2023/10/24/no-such-article/",
        "/2023/13/01/{slug}/",
        "/2023/02/30/{slug}/",
        "/2023/00/10/{slug}/",
        "/20234/10/24/{slug}/",
        "/2023/1/24/{slug}/",
        "/2023/10/24/{slug}.html/",
        "/2023/10/24/bad%20slug/",
        "/2023/10/24/%E2%98%83/",
        "/a/no-such-article/",
        "/section/no-such-section/",
        "/author/no-such-author/",
        "/?page=999",
        "/?page=abc",
    ],
)
def test_malformed_or_unknown_urls_are_404_not_500(client, path):
    article = make_article(publish_at=datetime(2023, 10, 23, 20, 54, tzinfo=UTC))
    response = client.get(path.format(slug=article.slug))
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


@pytest.mark.parametrize("other_form", ["/2020/01/01/{slug}/", "/a/{slug}/", "/2023/10/24/{slug}"])
def test_other_url_forms_redirect_permanently_to_the_canonical_url(client, other_form):
    article = make_article(publish_at=datetime(2023, 10, 23, 20, 54, tzinfo=UTC))
    response = client.get(other_form.format(slug=article.slug))
    assert response.status_code == 301
    assert response.headers["Location"] == f"/2023/10/24/{article.slug}/"


def test_preview_redirects_are_temporary(client, editor):
    article = make_article(status=Article.Status.DRAFT, publish_at=None)
    response = client.get(f"/a/{article.slug}/")
    assert response.status_code == 302
    assert response.headers["Location"] == article.get_absolute_url()


# --- Lists -----------------------------------------------------------------------------------


def test_home_lists_latest_published_articles_newest_first(client):
    now = timezone.now()
    older = make_article(headline="Older story", publish_at=now - timedelta(days=2))
    newer = make_article(headline="Newer story", publish_at=now - timedelta(hours=1))
    make_article(headline="Draft story", status=Article.Status.DRAFT, publish_at=None)
    make_article(headline="Future story", publish_at=now + timedelta(hours=1))

    response = client.get("/")
    assert list(response.context["article_list"]) == [newer, older]
    html = response.content.decode()
    assert "Draft story" not in html and "Future story" not in html


def test_home_is_paginated(client, settings):
    for _ in range(13):
        make_article()
    first = client.get("/")
    second = client.get("/?page=2")
    assert len(first.context["article_list"]) == 12
    assert len(second.context["article_list"]) == 1
    assert 'rel="next"' in first.content.decode()


def test_section_page_lists_only_its_published_articles(client):
    world, nation = make_section(name="World", slug="world"), make_section()
    mine = make_article(section=world)
    make_article(section=nation)
    make_article(section=world, status=Article.Status.DRAFT, publish_at=None)

    response = client.get("/section/world/")
    assert response.status_code == 200
    assert list(response.context["article_list"]) == [mine]
    assert '<h1 class="page-title">World</h1>' in response.content.decode()


def test_author_page_lists_only_their_published_articles(client):
    reporter = make_author(name="Meera Iyer", slug="meera-iyer", bio="Covers the courts.")
    theirs = make_article(authors=[reporter, make_author()])
    make_article()
    make_article(authors=[reporter], publish_at=timezone.now() + timedelta(days=1))

    response = client.get("/author/meera-iyer/")
    assert list(response.context["article_list"]) == [theirs]
    assert "Covers the courts." in response.content.decode()


# --- Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("authors, other_articles", [(1, 0), (6, 40)])
def test_article_page_runs_three_queries_whatever_the_number_of_articles_and_authors(
    client, django_assert_num_queries, authors, other_articles
):
    section = make_section()
    for _ in range(other_articles):
        make_article(section=section)
    article = make_article(section=section, authors=[make_author() for _ in range(authors)])
    # Navigation sections, the article with its section, its byline authors.
    with django_assert_num_queries(3):
        assert client.get(article.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("articles, authors_each", [(1, 1), (30, 4)])
def test_home_page_runs_four_queries_whatever_the_number_of_articles_and_authors(
    client, django_assert_num_queries, articles, authors_each
):
    section = make_section()
    for _ in range(articles):
        make_article(section=section, authors=[make_author() for _ in range(authors_each)])
    # Navigation sections, the page count, the page of articles with sections, their bylines.
    with django_assert_num_queries(4):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("articles", [1, 30])
def test_section_and_author_pages_run_five_queries(client, django_assert_num_queries, articles):
    section, author = make_section(), make_author()
    for _ in range(articles):
        make_article(section=section, authors=[author, make_author()])
    # The section or author, then the same four queries as the home page.
    with django_assert_num_queries(5):
        assert client.get(section.get_absolute_url()).status_code == 200
    with django_assert_num_queries(5):
        assert client.get(author.get_absolute_url()).status_code == 200
