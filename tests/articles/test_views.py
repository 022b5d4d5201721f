import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from articles.models import Article
from newsroom import pagecache
from tests.factories import make_article, make_articles, make_author, make_section, make_user

pytestmark = pytest.mark.django_db


def visible_text(html):
    """Collapse a fragment of HTML to the text a reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


@pytest.fixture
def editor(client):
    user = make_user("editor", is_staff=True)
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
        "Comments (0)",
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
    # Print and email serve published articles only, so a preview does not offer them.
    assert ">Print</a>" not in html and ">Email</a>" not in html
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_staff_without_change_permission_get_404_for_drafts(client):
    client.force_login(make_user("intern", is_staff=True))
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
    make_articles(13)
    first = client.get("/")
    second = client.get("/?page=2")
    assert len(first.context["article_list"]) == 12
    assert len(second.context["article_list"]) == 1
    assert 'rel="next"' in first.content.decode()


def test_the_front_pages_first_page_builds_no_list_of_articles(client, settings, monkeypatch):
    from articles.models import ArticleQuerySet

    settings.NEWSROOM_CHECK_COMPILED_QUERIES = False  # which builds every kept query again
    make_articles(13)
    client.get("/")  # the front page's own queries are compiled and kept
    built = []
    real = ArticleQuerySet.with_byline
    monkeypatch.setattr(
        ArticleQuerySet, "with_byline", lambda articles: built.append(1) or real(articles)
    )
    pagecache.invalidate_site()
    assert client.get("/")["X-Page-Cache"] == "miss"
    assert built == []  # its stories come from the front page's rows
    second = client.get("/?page=2")
    assert built == [1] and len(second.context["article_list"]) == 1


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
def test_article_page_runs_six_queries_whatever_the_number_of_articles_and_authors(
    client, django_assert_num_queries, authors, other_articles
):
    section = make_section()
    make_articles(other_articles, section=section)
    article = make_article(section=section, authors=[make_author() for _ in range(authors)])
    # Navigation sections, the article with its section, its byline authors, its corrections,
    # the approved comment counts (toolbar and comments heading), the desk's staffed hours (the
    # last cached, like the navigation, by the first page). With comments, two more: the page
    # of top-level comments and their replies (tests/comments/test_views.py), the same for 5
    # comments or 500.
    with django_assert_num_queries(6):
        assert client.get(article.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    "articles, authors_each, pick", [(8, 1, False), (30, 4, False), (30, 4, True)]
)
def test_front_page_runs_a_fixed_number_of_queries_whatever_the_number_of_articles_and_authors(
    client, django_assert_num_queries, articles, authors_each, pick
):
    section = make_section()
    for _ in range(articles):
        make_article(section=section, authors=[make_author() for _ in range(authors_each)])
    if pick:
        Article.objects.filter(pk=Article.objects.order_by("publish_at").first().pk).update(
            is_front_lead=True
        )
    # Navigation sections, the page count (for "Older stories") with when the next scheduled
    # article falls due (how long the page may stay cached), the stories (the editor's pick,
    # the latest, each section's newest), and the bylines of all of them.
    with django_assert_num_queries(4):
        assert client.get("/").status_code == 200
    # Then the navigation comes from the cache, and the page too.
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200


def test_a_front_page_miss_compiles_no_sql_after_the_first(client, settings, compiles):
    settings.NEWSROOM_CHECK_COMPILED_QUERIES = False
    section = make_section()
    for _ in range(4):
        make_article(section=section, authors=[make_author()])
    compiled = compiles
    assert client.get("/")["X-Page-Cache"] == "miss"
    first = len(compiled)
    pagecache.invalidate_site()  # what any edit does
    latest = make_article(section=section, headline="Filed after the SQL was kept")
    response = client.get("/")
    assert response["X-Page-Cache"] == "miss" and first
    # The stories, their bylines and the page count ran from kept SQL, the navigation came
    # from the cache: nothing was compiled.
    assert compiled[first:] == []
    assert latest.headline in response.content.decode()


@pytest.mark.parametrize("articles", [1, 30])
def test_section_and_author_pages_run_a_fixed_number_of_queries(
    client, django_assert_num_queries, articles
):
    section, author = make_section(), make_author()
    for _ in range(articles):
        make_article(section=section, authors=[author, make_author()])
    # The section or author, its page count with when its next scheduled article falls due,
    # the page of articles and their bylines; the navigation sections once, cached by the
    # first page.
    with django_assert_num_queries(5):
        assert client.get(section.get_absolute_url()).status_code == 200
    with django_assert_num_queries(4):
        assert client.get(author.get_absolute_url()).status_code == 200


def test_a_list_page_is_cached_until_its_own_next_scheduled_article_falls_due(client):
    nation, world = make_section(), make_section()
    make_article(section=nation)
    due = timezone.now() + timedelta(minutes=5)
    make_article(section=nation, publish_at=due)
    make_article(section=world, publish_at=timezone.now() + timedelta(minutes=1))

    def kept_until(url):
        response = client.get(url)
        assert response["X-Page-Cache"] == "miss"
        return response._pagecache_page["expires_at"]

    # The world story is not on the nation page: it may stay until the nation story is due.
    assert due.timestamp() - 5 < kept_until(nation.get_absolute_url()) <= due.timestamp()
    assert kept_until("/") <= due.timestamp() - 4 * 60


# --- Editors' workflow: take-down, shared previews, corrections, updates ----------------------


def test_taken_down_article_answers_410_with_the_reason_at_every_address(client):
    from articles.models import Article as ArticleModel

    article = make_article(headline="Removed story", publish_at=datetime(2024, 3, 1, tzinfo=UTC))
    url = article.get_absolute_url()
    ArticleModel.objects.filter(pk=article.pk).update(
        status=ArticleModel.Status.WITHDRAWN,
        withdrawn_at=timezone.now(),
        withdrawal_reason="Removed after a court order.",
    )
    for path in (url, f"/a/{article.slug}/", "/2020/01/01/" + article.slug + "/"):
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 410, path
        assert "This article has been removed" in html
        assert "Removed after a court order." in html
        assert '<meta name="robots" content="noindex">' in html
    for page in ("/", article.section.get_absolute_url()):
        assert "Removed story" not in client.get(page).content.decode()
    author = article.byline_authors[0]
    assert "Removed story" not in client.get(author.get_absolute_url()).content.decode()


def test_corrections_and_update_time_show_on_the_article_page(client):
    from articles.models import Correction

    article = make_article(material_update_at=datetime(2024, 3, 2, 4, 30, tzinfo=UTC))
    Correction.objects.create(
        article=article,
        kind=Correction.Kind.CORRECTION,
        text="An earlier version gave the wrong date.",
        created_at=datetime(2024, 3, 2, 5, 0, tzinfo=UTC),
    )
    Correction.objects.create(article=article, kind=Correction.Kind.UPDATE, text="Adds reaction.")
    html = client.get(article.get_absolute_url()).content.decode()

    updated = re.search(r'<p class="article-updated">.*?</p>', html, re.S).group(0)
    assert visible_text(updated) == "Updated Saturday, 2 March 2024, 10:00 IST"
    notes = re.search(r'<section class="article-corrections".*?</section>', html, re.S).group(0)
    assert "Correction, 2 March 2024, 10:30 IST: An earlier version gave the wrong date." in (
        visible_text(notes)
    )
    assert "Update," in visible_text(notes) and "Adds reaction." in notes


def test_article_without_updates_shows_neither_updated_nor_corrections(client):
    html = client.get(make_article().get_absolute_url()).content.decode()
    assert "article-updated" not in html and "article-corrections" not in html


def test_corrections_cost_one_query_however_many_there_are(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from articles.models import Correction

    def queries_for(count):
        article = make_article()
        Correction.objects.bulk_create(
            Correction(article=article, text=f"Note {n}") for n in range(count)
        )
        with CaptureQueriesContext(connection) as context:
            assert client.get(article.get_absolute_url()).status_code == 200
        return [q["sql"] for q in context.captured_queries]

    from comments.staffing import schedules

    schedules()  # the desk's staffed hours: cached by whichever page a reader opens first
    one, many = queries_for(1), queries_for(8)
    assert len(one) == len(many)
    assert sum("articles_correction" in sql for sql in many) == 1


def preview_link_for(article, **fields):
    from articles.models import PreviewLink

    return PreviewLink.objects.create(article=article, **fields)


def test_preview_link_shows_a_draft_without_an_account(client):
    article = make_article(headline="Embargoed draft", status=Article.Status.DRAFT, publish_at=None)
    link = preview_link_for(article)
    response = client.get(link.get_absolute_url())
    html = response.content.decode()

    assert response.status_code == 200
    assert "Embargoed draft" in html and "Shared preview" in html
    assert '<meta name="robots" content="noindex">' in html
    assert response.headers["X-Robots-Tag"] == "noindex"
    # Print and email serve published articles only, so a preview does not offer them.
    assert ">Print</a>" not in html and ">Email</a>" not in html
    assert "private" in response.headers["Cache-Control"]
    assert "no-store" in response.headers["Cache-Control"]
    # The draft itself stays hidden from the same visitor at its real address.
    assert client.get(article.get_absolute_url()).status_code == 404


def test_preview_link_expires_after_48_hours_by_default():
    link = preview_link_for(make_article(status=Article.Status.DRAFT, publish_at=None))
    lifetime = link.expires_at - link.created_at
    assert timedelta(hours=47, minutes=59) < lifetime <= timedelta(hours=48, seconds=1)


@pytest.mark.parametrize(
    "fields",
    [
        {"expires_at": timezone.now() - timedelta(minutes=1)},
        {"revoked_at": timezone.now()},
    ],
    ids=["expired", "revoked"],
)
def test_expired_or_revoked_preview_link_answers_410_without_the_article(client, fields):
    article = make_article(headline="Embargoed draft", status=Article.Status.DRAFT, publish_at=None)
    response = client.get(preview_link_for(article, **fields).get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 410
    assert "This preview link no longer works" in html
    assert "Embargoed draft" not in html
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: "x" + token,
        lambda token: token.split(":")[0],
        lambda token: "made-up:signature",
    ],
    ids=["signature", "key", "unsigned", "invented"],
)
def test_tampered_preview_link_is_404(client, tamper):
    article = make_article(headline="Embargoed draft", status=Article.Status.DRAFT, publish_at=None)
    link = preview_link_for(article)
    response = client.get(f"/preview/{tamper(link.token)}/")
    assert response.status_code == 404
    assert "Embargoed draft" not in response.content.decode()


def test_deleting_a_preview_link_row_kills_the_link(client):
    link = preview_link_for(make_article(status=Article.Status.DRAFT, publish_at=None))
    url = link.get_absolute_url()
    link.delete()
    assert client.get(url).status_code == 410


def test_preview_link_answers_410_after_take_down(client):
    article = make_article(headline="Story that went wrong", body="<p>The false claim.</p>")
    url = preview_link_for(article).get_absolute_url()
    Article.objects.filter(pk=article.pk).update(
        status=Article.Status.WITHDRAWN,
        withdrawn_at=timezone.now(),
        withdrawal_reason="It was wrong.",
    )
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 410
    assert "The false claim." not in html
    assert "It was wrong." in html
    assert "no-store" in response.headers["Cache-Control"]


def test_preview_link_answers_410_after_the_article_is_deleted(client):
    article = make_article(status=Article.Status.DRAFT, publish_at=None, body="<p>Secret.</p>")
    url = preview_link_for(article).get_absolute_url()
    article.delete()
    response = client.get(url)
    assert response.status_code == 410
    assert "Secret." not in response.content.decode()


def test_preview_link_still_shows_an_unpublished_draft(client):
    article = make_article(status=Article.Status.UNPUBLISHED, body="<p>Being reworked.</p>")
    response = client.get(preview_link_for(article).get_absolute_url())
    assert response.status_code == 200
    assert "Being reworked." in response.content.decode()


# --- The front page --------------------------------------------------------------------------


def test_front_page_leads_with_the_editors_pick_then_the_latest_then_each_section(client):
    nation, world = make_section(name="Nation", order=1), make_section(name="World", order=2)
    now = timezone.now()
    stories = [
        make_article(section=nation if n % 2 else world, publish_at=now - timedelta(hours=n))
        for n in range(1, 13)
    ]
    pick = stories[-1]  # the oldest, chosen by an editor
    Article.objects.filter(pk=pick.pk).update(is_front_lead=True)
    make_article(status=Article.Status.DRAFT, publish_at=None, is_front_lead=True)  # unseen

    response = client.get("/")
    html = response.content.decode()
    front_page = response.context["front_page"]
    assert front_page.lead == pick
    assert front_page.latest == stories[:6]
    blocks = front_page.section_blocks
    assert [section.name for section in blocks] == ["Nation", "World"]
    assert blocks[nation] == [s for s in stories[6:11] if s.section == nation][:3]
    shown = [pick, *stories[:6], *blocks[nation], *blocks[world]]
    assert len(shown) == len(set(shown))  # no story twice
    assert html.index(pick.headline) < html.index(stories[0].headline)
    assert '<h2 id="front-section-' in html and '<h3 class="article-card-headline">' in html


def test_front_page_without_a_pick_leads_with_the_newest(client):
    older = make_article(publish_at=timezone.now() - timedelta(days=1))
    newest = make_article()
    response = client.get("/")
    front_page = response.context["front_page"]
    assert front_page.lead == newest and front_page.latest == [older]


def test_cards_offer_sized_lazy_pictures_in_two_widths(client, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), (40, 90, 160)).save(buffer, "JPEG")
    pictured = [
        make_article(
            lead_image=SimpleUploadedFile(f"p{n}.jpg", buffer.getvalue()),
            lead_image_alt="A river at dawn",
            publish_at=timezone.now() - timedelta(hours=n),
        )
        for n in range(3)
    ]
    for article in pictured:
        article.build_renditions()  # as tasks.build_renditions does after an editor's upload
    html = client.get("/").content.decode()
    assert 'fetchpriority="high"' in html  # the lead's picture, above the fold
    cards = re.findall(r'<img class="article-card-image"[^>]*>', html)
    assert len(cards) == len(pictured) - 1
    assert all('width="600" height="338"' in card and " 1200w" in card for card in cards)
    assert 'loading="lazy"' not in cards[0] and all('loading="lazy"' in c for c in cards[1:])
