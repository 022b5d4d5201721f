"""A reader opens the demo article in a real Chromium."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_sees_headline_byline_and_toolbar(page, live_server, demo_article, screenshot_dir):
    response = page.goto(live_server.url + demo_article.get_absolute_url())
    assert response.status == 200

    assert page.locator("article h1").inner_text() == demo_article.headline
    assert page.locator("article header .byline").inner_text() == (
        "By Staff Reporter | Tuesday, 24 October 2023, 02:24 IST"
    )
    toolbar = page.get_by_role("navigation", name="Article tools")
    # The demo threads on this article hold 8 approved comments (comments' load_demo).
    assert toolbar.get_by_role("link").all_inner_texts() == ["Print", "Email", "Comments (8)"]
    assert page.locator("article .article-body h2").count() == 2
    # Our own stylesheet loaded: the headline is set in the serif face, not the browser default.
    font = "el => getComputedStyle(el).fontFamily"
    assert "Georgia" in page.locator("article h1").evaluate(font)
    # One face for the story: its sub-headings match its paragraphs.
    assert page.locator(".article-body h2").first.evaluate(font) == page.locator(
        ".article-body p"
    ).first.evaluate(font)
    page.screenshot(path=screenshot_dir / "article-desktop.png", full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=screenshot_dir / "article-phone.png", full_page=True)


def test_pages_load_nothing_from_other_hosts(page, live_server, demo_article):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server.url + demo_article.get_absolute_url())
    page.goto(live_server.url + "/")
    assert requested
    assert all(url.startswith(live_server.url) for url in requested), requested
