"""The article form as an editor meets it: what the story is first, whole texts, a clean slug."""

import pytest

from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADLINE = (
    "2+2 review: the council's budget adds up for schools, but the long-promised river "
    "crossing and the night buses wait another year"
)


def test_article_form_puts_byline_and_section_by_the_headline_and_shows_whole_texts(
    page, live_server, editor, screenshot_dir
):
    page.goto(live_server.url + "/admin/articles/article/add/")
    page.get_by_label("Username").fill("eddie")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    headline = page.get_by_label("Headline")
    headline.press_sequentially(HEADLINE)
    assert page.get_by_label("Slug").input_value().startswith("2-2-review-the-councils-budget")
    # The whole headline shows: the box grew to its text instead of scrolling it away.
    assert headline.evaluate("el => el.scrollHeight <= el.clientHeight + 1")
    assert headline.bounding_box()["height"] > 40  # two lines at this width

    body = page.locator(".field-body").bounding_box()
    for part in [".fieldBox.field-section", ".fieldBox.field-slug", "#bylines-group"]:
        assert page.locator(part).bounding_box()["y"] < body["y"], part
    assert page.locator("#corrections-group").bounding_box()["y"] > body["y"]

    page.locator(".field-body .prose-menubar__selected").click()
    picker = page.locator(".field-body .prose-menubar__picker")
    options = picker.locator(".prose-menubar__option")
    last = options.last.bounding_box()
    box = picker.bounding_box()
    assert box["y"] + box["height"] - (last["y"] + last["height"]) < 24  # no empty dropdown
    arrow = page.locator(".field-body .prose-menubar__selected").evaluate(
        "el => getComputedStyle(el, '::after').content"
    )
    assert arrow == '""'  # drawn with CSS, not a glyph the fonts lack
    page.screenshot(path=screenshot_dir / "admin-article-form.png", full_page=True)


def test_html_pasted_after_a_paragraph_keeps_its_heading_a_heading(page, live_server, editor):
    page.goto(live_server.url + "/admin/articles/article/add/")
    page.get_by_label("Username").fill("eddie")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    body = page.locator(".field-body .prose-editor > .ProseMirror")
    body.click()
    page.keyboard.type("The city will restore three night bus routes.")
    body.evaluate(
        """el => {
            const data = new DataTransfer();
            data.setData("text/html", "<h2>Where they run</h2><p>Every half hour.</p>");
            data.setData("text/plain", "Where they run\\n\\nEvery half hour.");
            const paste = {clipboardData: data, bubbles: true, cancelable: true};
            el.dispatchEvent(new ClipboardEvent("paste", paste));
        }"""
    )
    assert body.evaluate("el => el.innerHTML") == (
        "<p>The city will restore three night bus routes.</p>"
        "<h2>Where they run</h2><p>Every half hour.</p>"
    )
