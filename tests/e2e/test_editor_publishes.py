"""An editor writes and publishes an article in the admin's rich-text editor; a reader sees it."""

import pytest

from articles.models import Article
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose_autocomplete(page, row, text):
    """Pick an option in one of the admin's select2 autocomplete boxes."""
    row.locator(".select2-selection").click()
    page.locator(".select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).click()


def select_last_characters(page, count):
    page.keyboard.down("Shift")
    for _ in range(count):
        page.keyboard.press("ArrowLeft")
    page.keyboard.up("Shift")


def test_editor_writes_with_a_heading_and_a_link_publishes_and_a_reader_sees_it(
    browser, page, live_server, editor, screenshot_dir
):
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("eddie")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Add", exact=True).first.click()

    page.get_by_label("Headline").press_sequentially("Night buses return to the ring road")
    assert page.get_by_label("Slug").input_value() == "night-buses-return-to-the-ring-road"
    page.get_by_label("Summary").fill("Three routes will run every half hour after midnight.")
    choose_autocomplete(page, page.locator(".field-section"), "Nation")
    choose_autocomplete(page, page.locator("#bylines-0"), "Meera Iyer")

    body = page.locator(".field-body .ProseMirror[contenteditable=true]")
    body.click()
    page.keyboard.type("The city will restore three night bus routes from Monday.")
    page.keyboard.press("Enter")
    page.locator(".field-body .prose-menubar__selected").click()
    page.locator(".field-body .prose-menubar__option[data-name=heading2]").click()
    page.keyboard.type("Where they run")
    page.keyboard.press("Enter")
    page.keyboard.type("See the timetable")
    select_last_characters(page, len("timetable"))
    page.locator(".field-body button[data-name=link]").click()
    dialog = page.locator("dialog.prose-editor-dialog")
    dialog.get_by_label("URL").fill("https://example.org/night-timetable")
    dialog.get_by_role("button", name="Update").click()
    page.keyboard.press("End")
    page.keyboard.type(" for every stop.")
    page.screenshot(path=screenshot_dir / "admin-editor-writing.png", full_page=True)

    page.get_by_role("button", name="Save and publish").click()
    assert (
        "Save and publish: done. Status is now “Published”."
        in page.locator(".messagelist").inner_text()
    )
    page.screenshot(path=screenshot_dir / "admin-article-list.png", full_page=True)

    article = Article.objects.get(slug="night-buses-return-to-the-ring-road")
    assert article.is_published() and article.published_by == editor
    assert "<h2>Where they run</h2>" in article.body
    assert '<a href="https://example.org/night-timetable">timetable</a>' in article.body

    reader = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    reader.goto(live_server.url + "/")
    reader.get_by_role("link", name="Night buses return to the ring road").click()
    assert reader.locator("article h1").inner_text() == "Night buses return to the ring road"
    assert reader.locator(".article-body h2").inner_text() == "Where they run"
    link = reader.locator(".article-body a", has_text="timetable")
    assert link.get_attribute("href") == "https://example.org/night-timetable"
    assert "Meera Iyer" in reader.locator("article header .byline").inner_text()
    reader.screenshot(path=screenshot_dir / "editor-published-article.png", full_page=True)
    reader.context.close()
