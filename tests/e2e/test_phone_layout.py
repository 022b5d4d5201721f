"""The article on a 390×844 phone: nothing cut off, the story on the first screen, real tap targets.

The moderation queue's phone layout is tested with the queue (tests/e2e, the comments admin).
"""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    yield page
    context.close()


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_article_fits_a_phone_and_starts_on_the_first_screen(
    phone, live_server, demo_article, screenshot_dir, settings
):
    settings.NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS = 0  # the 2023 demo story keeps its Reply links
    phone.goto(live_server.url + demo_article.get_absolute_url())
    phone.screenshot(path=screenshot_dir / "article-phone-first-screen.png")
    phone.screenshot(path=screenshot_dir / "article-phone.png", full_page=True)

    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # At least 300 px of the story's text on the first screen, under headline, dek and byline.
    body = box(phone, ".article-body p")
    assert body["y"] <= PHONE["height"] - 300, body
    assert box(phone, "article h1")["y"] < 200

    # The sections scroll sideways inside their row: every one can be reached, none is clipped
    # by the page, and the row shows a shadow at the edge with more behind it.
    nav = phone.locator(".site-nav")
    assert nav.evaluate("el => el.scrollWidth > el.clientWidth")  # more sections than fit
    assert "radial-gradient" in nav.evaluate("el => getComputedStyle(el).backgroundImage")
    nav.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    last, row = box(phone, ".site-nav li:last-child a"), nav.bounding_box()
    assert last["x"] + last["width"] <= row["x"] + row["width"] + 1

    # Reply and Report: 44 px tall, apart, and not of equal weight.
    reply, report = box(phone, ".comment-reply"), box(phone, ".comment-report")
    assert reply["height"] >= 44 and report["height"] >= 44
    assert report["x"] >= reply["x"] + reply["width"] + 8
    weight = "el => Number(getComputedStyle(el).fontWeight)"
    assert phone.locator(".comment-reply").first.evaluate(weight) > phone.locator(
        ".comment-report"
    ).first.evaluate(weight)
    tools = phone.get_by_role("navigation", name="Article tools").get_by_role("link")
    assert all(link.bounding_box()["height"] >= 44 for link in tools.all())
