"""A reader comments, a moderator approves it in the admin, and another reader sees it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comments.models import Comment
from tests.factories import make_article, make_comment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article(settings):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0  # people fill the form faster than the timing trap
    settings.NEWSROOM_COMMENTS_MODE = "trusted"
    article = make_article(
        headline="Council approves late-night buses for the outer suburbs",
        dek="Three new routes will run until 1 a.m. from March, after a year of petitions.",
        body="<p>The city council voted on Tuesday to extend three bus routes.</p>",
        publish_at=timezone.now() - timedelta(hours=5),
    )
    start = timezone.now() - timedelta(hours=4)
    first = make_comment(
        article,
        name="Farah Qureshi",
        body="Finally a route that does not go through the centre.\n\nWill it run on Sundays?",
        created_at=start,
    )
    make_comment(
        article,
        parent=first,
        name="Owen Pryce",
        body="The council papers say Sundays from June: https://example.org/council-papers",
        created_at=start + timedelta(minutes=40),
    )
    return article


def test_reader_posts_moderator_approves_another_reader_sees_it(
    page, browser, live_server, article, moderator, screenshot_dir
):
    url = live_server.url + article.get_absolute_url()
    page.goto(url)
    toolbar = page.get_by_role("navigation", name="Article tools")
    assert toolbar.get_by_role("link", name="Comments (2)").is_visible()
    form = page.locator("#comment-form")
    form.get_by_role("textbox", name="Name").fill("Meera Iyer")
    form.get_by_role("textbox", name="Email").fill("meera@example.org")
    form.get_by_role("textbox", name="Comment").fill(
        "Good news for night-shift nurses.\n\nThank you for covering it."
    )
    form.get_by_label("Email me when someone replies").check()
    trap = page.locator(".comment-form-trap")
    assert trap.get_attribute("aria-hidden") == "true"
    box = trap.bounding_box()
    assert box["x"] + box["width"] <= 0  # out of sight, off the left edge
    form.get_by_role("button", name="Post comment").click()

    pending = page.get_by_role("status").filter(has_text="Your comment is awaiting moderation")
    pending.wait_for()
    assert "Good news for night-shift nurses." in pending.inner_text()
    page.screenshot(path=screenshot_dir / "comments-thread-and-form.png", full_page=True)
    comment = Comment.objects.get(email="meera@example.org")
    assert comment.status == Comment.Status.HELD

    other_reader = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    other_reader.goto(url)
    assert "night-shift nurses" not in other_reader.content()

    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    admin = admin_context.new_page()
    admin.goto(live_server.url + "/admin/login/?next=/admin/comments/comment/")
    admin.get_by_label("Username").fill("moderator")
    admin.get_by_label("Password").fill("a-long-test-password")
    admin.get_by_role("button", name="Log in").click()
    row = admin.locator("#result_list tbody tr").filter(has_text="Good news for night-shift")
    row.wait_for()
    assert "First comment from this email" in row.inner_text()
    admin.screenshot(path=screenshot_dir / "comments-admin-queue.png", full_page=True)
    row.locator("input.action-select").check()
    admin.locator("select[name=action]").select_option("approve")
    admin.get_by_role("button", name="Go").click()
    admin.get_by_text("1 comment approved.").wait_for()

    other_reader.reload()
    approved = other_reader.locator(f"#comment-{comment.pk}")
    assert "Good news for night-shift nurses." in approved.inner_text()
    assert other_reader.get_by_role("link", name="Comments (3)").is_visible()
    assert other_reader.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    other_reader.screenshot(path=screenshot_dir / "comments-phone.png", full_page=True)
    # The comment's page shows the audit trail: the automatic hold, then the approval.
    admin.goto(f"{live_server.url}/admin/comments/comment/{comment.pk}/change/")
    audit = admin.locator("#actions-group")
    assert "moderator" in audit.inner_text()
    admin.screenshot(path=screenshot_dir / "comments-admin-comment.png", full_page=True)
    admin_context.close()
    other_reader.context.close()


def test_a_reader_without_javascript_posts_from_a_cached_page(browser, live_server, article):
    url = live_server.url + article.get_absolute_url()
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(url)
        page.goto(url)  # the second view comes from the page cache: no token, no timestamp
        form = page.locator("#comment-form")
        form.get_by_role("textbox", name="Name").fill("Tomás Silva")
        form.get_by_role("textbox", name="Email").fill("tomas@example.org")
        form.get_by_role("textbox", name="Comment").fill("Will the 1 a.m. buses take bikes?")
        form.get_by_role("button", name="Post comment").click()

        page.get_by_role("alert").filter(has_text="again to send it").wait_for()
        comment_box = page.locator("#comment-form").get_by_role("textbox", name="Comment")
        assert comment_box.input_value() == "Will the 1 a.m. buses take bikes?"
        assert not Comment.objects.filter(email="tomas@example.org").exists()
        page.locator("#comment-form").get_by_role("button", name="Post comment").click()

        page.get_by_role("status").filter(has_text="awaiting moderation").wait_for()
        comment = Comment.objects.get(email="tomas@example.org")
        assert comment.status == Comment.Status.HELD  # held for a first-timer, not spam
    finally:
        context.close()
