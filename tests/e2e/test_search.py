"""A reader searches from the header box in a real Chromium."""

import pytest

from tests.factories import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_searches_from_the_header_and_opens_a_result(page, live_server, screenshot_dir):
    make_article(
        headline="Ferry service to the islands resumes",
        dek="Boats run again from Monday on a reduced timetable after the cyclone.",
        body="<p>The harbour master said the <em>ferry</em> would sail twice a day.</p>",
    )
    make_article(headline="Council approves the new library", dek="Work starts in spring.")
    page.goto(live_server.url + "/")
    page.get_by_role("searchbox", name="Search articles").fill("ferry")
    page.get_by_role("button", name="Search").first.click()
    page.wait_for_url("**/search/?q=ferry")

    results = page.locator(".search-result h2")
    assert results.all_inner_texts() == ["Ferry service to the islands resumes"]
    assert page.get_by_role("status").inner_text().strip() == "1 article matches “ferry”."
    page.screenshot(path=screenshot_dir / "search-desktop.png", full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=screenshot_dir / "search-phone.png", full_page=True)

    results.get_by_role("link").click()
    assert page.locator("article h1").inner_text() == "Ferry service to the islands resumes"
