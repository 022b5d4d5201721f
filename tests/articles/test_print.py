import io
import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from articles.models import Article, Correction
from tests.factories import make_article, make_author

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return make_article(
        headline="Harbour ferry returns after repairs",
        dek="The island service resumes on Monday.",
        body='<p>Crossings leave every ninety minutes. <a href="https://example.org/t">Timetable</a>.</p>',
        authors=[make_author(name="Arjun Sethi")],
    )


def print_url(article):
    return article.get_absolute_url() + "print/"


def test_print_view_shows_the_article_and_where_it_came_from(client, article, settings):
    response = client.get(print_url(article))
    html = response.content.decode()
    canonical = f"{settings.NEWSROOM_SITE_URL}{article.get_absolute_url()}"

    assert response.status_code == 200
    assert f'<p class="print-site-name">{settings.NEWSROOM_SITE_NAME}</p>' in html
    assert '<h1 id="article-headline">Harbour ferry returns after repairs</h1>' in html
    assert "The island service resumes on Monday." in html
    assert "Arjun Sethi" in html and "<time datetime=" in html
    assert "Crossings leave every ninety minutes." in html
    assert f'Originally published at <a href="{canonical}">{canonical}</a>' in html
    assert "Printed on <time" in html
    assert '<meta name="robots" content="noindex">' in html
    assert f'<link rel="canonical" href="{canonical}">' in html


def test_print_view_has_no_navigation_toolbar_comments_footer_or_site_script(client, article):
    html = client.get(print_url(article)).content.decode()
    assert "site-nav" not in html and 'aria-label="Sections"' not in html
    assert "Article tools" not in html
    assert "comments" not in html.lower()
    assert "<form" not in html
    assert "site-footer" not in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/print.js" defer>']
    assert "print.css" in html and "site.css" not in html
    # A Print button, hidden until print.js (which it needs) shows it; no dialog by itself.
    assert '<button type="button" class="print-button" data-print hidden>Print</button>' in html
    assert "data-autoprint" not in html


def test_autoprint_asks_our_print_script_for_the_dialog(client, article):
    html = client.get(print_url(article) + "?autoprint=1").content.decode()
    assert "<body data-autoprint>" in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/print.js" defer>']
    assert "window.print" not in html  # no inline script: the CSP forbids it


def test_print_view_shows_the_lead_image(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), (40, 90, 160)).save(buffer, "JPEG")
    pictured = make_article(
        lead_image_alt="The ferry at the island pier", lead_image_caption="Back in service."
    )
    pictured.lead_image.save("ferry.jpg", ContentFile(buffer.getvalue()))
    pictured.build_renditions()
    html = client.get(print_url(pictured)).content.decode()
    assert '<figure class="article-lead-image">' in html
    assert 'alt="The ferry at the island pier"' in html
    assert "Back in service." in html


def test_print_view_includes_corrections(client, article):
    Correction.objects.create(article=article, text="An earlier version gave the wrong pier.")
    html = client.get(print_url(article)).content.decode()
    assert "An earlier version gave the wrong pier." in html


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": Article.Status.DRAFT},
        {"status": Article.Status.IN_REVIEW},
        {"status": Article.Status.UNPUBLISHED},
        {"publish_at": timezone.now() + timedelta(hours=2)},  # scheduled
    ],
)
def test_unpublished_articles_cannot_be_printed(client, overrides):
    assert client.get(print_url(make_article(**overrides))).status_code == 404


def test_a_taken_down_article_cannot_be_printed(client):
    gone = make_article(status=Article.Status.WITHDRAWN, withdrawal_reason="Legal reasons.")
    response = client.get(print_url(gone))
    # Like the article page: 410 with the editors' reason, never the story itself.
    assert response.status_code == 410
    assert gone.body not in response.content.decode()


def test_editors_cannot_print_a_draft_either(admin_client):
    draft = make_article(status=Article.Status.DRAFT)
    assert admin_client.get(draft.get_absolute_url()).status_code == 200  # preview
    assert admin_client.get(print_url(draft)).status_code == 404


def test_a_wrong_date_redirects_to_the_canonical_print_url(client, article):
    response = client.get(f"/2001/01/01/{article.slug}/print/")
    assert response.status_code == 301
    assert response.headers["Location"] == print_url(article)
    assert client.get(f"/2001/02/31/{article.slug}/print/").status_code == 404


def test_print_view_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    authors = [make_author() for _ in range(3)]
    one = make_article(authors=authors[:1])
    many = make_article(authors=authors)
    Correction.objects.create(article=many, text="Fixed a name.")
    with django_assert_num_queries(3):  # article, bylines, corrections
        client.get(print_url(one))
    with django_assert_num_queries(3):
        client.get(print_url(many))


def test_article_page_carries_a_print_only_source_line(client, article, settings):
    html = client.get(article.get_absolute_url()).content.decode()
    canonical = f"{settings.NEWSROOM_SITE_URL}{article.get_absolute_url()}"
    assert '<footer class="article-print-source print-only">' in html
    assert f'Originally published at <a href="{canonical}">' in html
