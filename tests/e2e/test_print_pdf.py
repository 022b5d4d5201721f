"""A reader prints the demo article to PDF from the print view and from the article page."""

import io
import re
import unicodedata

import pytest
from django.conf import settings
from pypdf import PdfReader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pdf_text(pdf_bytes):
    """Return the text of every page, ligatures undone and whitespace runs made single spaces."""
    pages = PdfReader(io.BytesIO(pdf_bytes)).pages
    text = unicodedata.normalize("NFKC", " ".join(page.extract_text() for page in pages))
    return re.sub(r"\s+", " ", text)


def assert_printed_article(text, article):
    assert text.startswith(f"{settings.NEWSROOM_SITE_NAME} ")
    assert article.headline in text
    assert "By Staff Reporter | Tuesday, 24 October 2023, 02:24 IST" in text
    assert f"Originally published at {settings.NEWSROOM_SITE_URL}{article.get_absolute_url()}" in (
        text
    )
    assert "Printed on" in text
    # Two body paragraphs deep into the story made it onto paper too.
    assert "Trade and transit on the agenda" in text
    # No navigation, toolbar, comments or footer.
    for chrome in ["Latest", "Skip to main content", "Article tools", "Email", "Comments"]:
        assert chrome not in text
    assert "comment" not in text.lower()
    assert "Times are shown in" not in text


def test_print_view_prints_the_article_alone(page, live_server, demo_article, screenshot_dir):
    page.goto(live_server.url + demo_article.get_absolute_url() + "print/")
    pdf = page.pdf(format="A4", path=screenshot_dir / "print-view.pdf")
    assert_printed_article(pdf_text(pdf), demo_article)

    page.emulate_media(media="print")
    page.screenshot(path=screenshot_dir / "print-view-print-media.png", full_page=True)
    page.emulate_media(media="screen")
    page.screenshot(path=screenshot_dir / "print-view-screen.png", full_page=True)


def test_ctrl_p_on_the_article_page_prints_cleanly(page, live_server, demo_article, screenshot_dir):
    page.goto(live_server.url + demo_article.get_absolute_url())
    assert page.locator(".article-print-source").is_hidden()  # on screen: not shown
    pdf = page.pdf(format="A4", path=screenshot_dir / "article-page.pdf")
    assert_printed_article(pdf_text(pdf), demo_article)

    page.emulate_media(media="print")
    assert page.locator(".article-comments").is_hidden()
    assert page.locator(".site-nav").is_hidden()
    body = page.locator(".article-body")
    assert "Georgia" in body.evaluate("el => getComputedStyle(el).fontFamily")
    assert body.evaluate("el => getComputedStyle(el).color") == "rgb(0, 0, 0)"
    page.screenshot(path=screenshot_dir / "article-page-print-media.png", full_page=True)


def test_toolbar_print_link_opens_the_print_view_and_its_dialog(page, live_server, demo_article):
    page.add_init_script("window.print = () => { window.__printed = true; };")
    page.goto(live_server.url + demo_article.get_absolute_url())
    page.get_by_role("navigation", name="Article tools").get_by_role("link", name="Print").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(demo_article.get_absolute_url() + "print/?autoprint=1")
    page.wait_for_function("window.__printed === true")

    page.goto(live_server.url + demo_article.get_absolute_url() + "print/")
    assert page.evaluate("window.__printed") is None  # no dialog without ?autoprint=1
    page.get_by_role("button", name="Print").click()  # the print view's own button
    assert page.evaluate("window.__printed") is True
