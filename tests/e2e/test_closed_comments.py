"""Closed comments explain themselves, to readers on the article and to editors in its form."""

from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import PASSWORD
from tests.factories import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_and_editor_see_when_and_why_comments_closed(
    page, live_server, editor, settings, screenshot_dir
):
    settings.NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS = 30
    article = make_article(publish_at=datetime(2023, 10, 23, 20, 54, tzinfo=UTC))  # 02:24 IST
    switched_off = make_article(comments_enabled=False)

    page.goto(live_server.url + article.get_absolute_url())
    closed = page.locator("#comments .comments-closed")
    assert closed.inner_text() == "Comments closed on 23 November 2023, 30 days after publication."
    assert page.locator("#comment-form").count() == 0
    closed.scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / "comments-closed.png")
    page.goto(live_server.url + switched_off.get_absolute_url())
    assert page.locator("#comments .comments-closed").inner_text() == (
        "Comments are switched off for this article."
    )

    page.goto(live_server.url + f"/admin/articles/article/{article.pk}/change/")
    page.get_by_label("Username").fill("eddie")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert page.locator(".field-comments_closing .readonly").inner_text() == (
        "Closed on 23 November 2023, 02:24 IST, 30 days after publication."
    )
