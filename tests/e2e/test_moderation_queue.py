"""A moderator clears the queue with one click per comment, or with the keyboard, on a desktop
and on a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comments.models import Comment
from tests.e2e.conftest import log_in
from tests.factories import make_article, make_comment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Status = Comment.Status
QUEUE = "/admin/comments/comment/"


@pytest.fixture
def queue():
    article = make_article(
        headline="Monsoon arrives early over the Western Ghats, forecasters say",
        publish_at=timezone.now() - timedelta(hours=6),
    )
    start = timezone.now() - timedelta(hours=3)
    bodies = [
        ("Lakshmi Nair", "The reservoirs needed this. Good reporting."),
        ("Spam Bot", "Cheap watches at example.com, click now"),
        ("Dev Patel", "Will schools close in Kodagu again this year?"),
        ("Rude Person", "Everyone at this paper is an idiot."),
        ("Sara Khan", "My village got 90 mm overnight."),
    ]
    # Newest first in the queue: the first listed here is the top row.
    return [
        make_comment(
            article,
            name=name,
            body=body,
            status=Status.HELD,
            created_at=start - timedelta(minutes=n),
        )  # fmt: skip
        for n, (name, body) in enumerate(bodies)
    ]


def statuses(comments):
    return [Comment.objects.get(pk=c.pk).status for c in comments]


def wait_for_status(page, comment, label):
    page.locator(f"#result_list tbody tr:has(a[href$='/{comment.pk}/change/'])").locator(
        "td.field-status", has_text=label
    ).wait_for()


def test_one_click_and_keyboard_moderation(page, live_server, moderator, queue, screenshot_dir):
    log_in(page, live_server, QUEUE)
    help_line = page.locator("#queue-keys")
    help_line.wait_for()
    assert "j next" in help_line.inner_text() and "a approve" in help_line.inner_text()
    page.screenshot(path=screenshot_dir / "queue-desktop.png", full_page=True)

    # One click on a row's Approve: no page load, the row shows the outcome.
    first = page.locator("#result_list tbody tr").first
    first.get_by_role("button", name="Approve").click()
    page.get_by_role("status").filter(has_text="Lakshmi Nair’s comment").wait_for()
    wait_for_status(page, queue[0], "Approved")
    assert statuses(queue)[0] == Status.APPROVED

    # The keyboard: the next row became current by itself; j/k move, a/r/s act.
    current = page.locator("#result_list tbody tr.queue-current")
    assert "Cheap watches" in current.inner_text()
    page.keyboard.press("s")
    wait_for_status(page, queue[1], "Spam")
    assert "Will schools close" in current.inner_text()  # moved on by itself
    page.keyboard.press("j")
    assert "idiot" in current.inner_text()
    page.keyboard.press("r")
    wait_for_status(page, queue[3], "Rejected")
    page.keyboard.press("k")
    assert "Will schools close" in current.inner_text()
    page.keyboard.press("a")
    wait_for_status(page, queue[2], "Approved")
    decided = [Status.APPROVED, Status.SPAM, Status.APPROVED, Status.REJECTED, Status.HELD]
    assert statuses(queue) == decided
    assert [a.changed_by_id for c in queue[:4] for a in c.actions.all()] == [moderator.pk] * 4
    page.screenshot(path=screenshot_dir / "queue-desktop-decided.png", full_page=True)

    # Typing in the search box types; it does not moderate.
    page.reload()
    page.keyboard.press("j")
    assert "90 mm" in current.inner_text()
    page.locator("#searchbar").press_sequentially("sara")
    assert page.locator("#searchbar").input_value() == "sara"
    assert statuses(queue) == decided


def test_article_column_does_not_wrap_a_word_per_line(page, live_server, moderator, queue):
    log_in(page, live_server, QUEUE)
    cell = page.locator("#result_list td.field-article_link").first
    cell.wait_for()
    lines = cell.evaluate("td => Math.round(td.querySelector('a').getClientRects().length)")
    words = len("Monsoon arrives early over the Western Ghats, forecasters say".split())
    assert lines * 2 <= words  # two words or more a line on average, never one
    # Every column, the buttons included, fits beside the filters without scrolling sideways.
    results = page.locator("#changelist .results")
    assert results.evaluate("div => div.scrollWidth <= div.clientWidth")
    assert (
        page.locator("#result_list tbody tr").first.get_by_role("button", name="Spam").is_visible()
    )


def test_queue_fits_a_phone(browser, live_server, moderator, queue, screenshot_dir):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    log_in(page, live_server, QUEUE)
    page.locator("#result_list").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    row = page.locator("#result_list tbody tr").first
    assert page.evaluate("document.querySelector('#changelist .results').scrollWidth") <= 390
    for part in ["th.field-excerpt", "td.field-author", "td.field-article_link",
                 "td.field-why", "td.field-age", ".queue-actions"]:  # fmt: skip
        box = row.locator(part).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, part
    approve = row.get_by_role("button", name="Approve")
    assert approve.bounding_box()["height"] >= 44  # a thumb's target
    page.screenshot(path=screenshot_dir / "queue-phone.png", full_page=True)
    approve.tap()
    wait_for_status(page, queue[0], "Approved")
    context.close()
