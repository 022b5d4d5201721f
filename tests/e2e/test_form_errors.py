"""A reader whose comment or report has an error lands on the form, not the top of the page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comments.models import Comment
from tests.factories import make_article, make_comment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def long_thread(settings):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    article = make_article(publish_at=timezone.now() - timedelta(days=1))
    start = timezone.now() - timedelta(hours=20)
    Comment.objects.bulk_create(
        Comment(
            article=article,
            name=f"Reader {n}",
            email=f"reader{n}@example.org",
            body_html=f"<p>Comment {n}: a long paragraph about the council's bus plan.</p>" * 3,
            body=f"Comment {n}",
            status=Comment.Status.APPROVED,
            created_at=start + timedelta(minutes=n),
        )
        for n in range(50)
    )
    return article


def assert_landed_on(page, summary_id):
    """Assert the error summary has focus and ends up on screen (Bootstrap scrolls smoothly)."""
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == summary_id
    page.wait_for_function(
        """id => {
            const box = document.getElementById(id).getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight;
        }""",
        arg=summary_id,
        timeout=5000,
    )
    return page.locator(f"#{summary_id}")


def test_comment_with_an_error_lands_on_the_focused_error_summary(page, live_server, long_thread):
    page.goto(live_server.url + long_thread.get_absolute_url())
    form = page.locator("#comment-form")
    form.get_by_role("textbox", name="Name").fill("Meera Iyer")
    form.get_by_role("textbox", name="Email").fill("not-an-address")
    form.get_by_role("textbox", name="Comment").fill("My words stay where I left them.")
    form.get_by_role("button", name="Post comment").click()

    summary = assert_landed_on(page, "comment-form-errors")
    assert page.evaluate("window.scrollY") > 5000  # far down a thread of 50 comments
    assert "Please check your email address" in summary.inner_text()
    assert form.get_by_role("textbox", name="Comment").input_value() == (
        "My words stay where I left them."
    )
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.name") == "email"


def test_reply_with_an_error_lands_on_the_reply_form(page, live_server, long_thread):
    parent = make_comment(long_thread, name="Owen Pryce", created_at=timezone.now())
    page.goto(live_server.url + long_thread.get_absolute_url() + "?comments_page=2")
    page.get_by_role("link", name="Reply to Owen Pryce").click()
    form = page.locator("#comment-form")
    assert form.get_by_role("heading").inner_text() == "Reply to Owen Pryce"
    form.get_by_role("textbox", name="Comment").fill("Replying without a name.")
    form.get_by_role("textbox", name="Email").fill("reply@example.org")
    form.get_by_role("button", name="Post comment").click()

    summary = assert_landed_on(page, "comment-form-errors")
    assert "Please give a name" in summary.inner_text()
    assert form.get_by_role("heading").inner_text() == "Reply to Owen Pryce"
    assert form.locator("input[name=parent]").input_value() == str(parent.pk)
    assert form.get_by_role("textbox", name="Comment").input_value() == "Replying without a name."


def test_report_without_a_reason_lands_on_the_focused_error_summary(page, live_server):
    comment = make_comment(make_article())
    page.set_viewport_size({"width": 390, "height": 500})
    page.goto(live_server.url + f"/comments/{comment.pk}/report/")
    page.get_by_role("button", name="Send report").click()

    summary = assert_landed_on(page, "report-form-errors")
    assert "Please pick a reason" in summary.inner_text()
