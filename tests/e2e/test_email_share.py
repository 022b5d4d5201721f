"""A reader emails the demo article to two friends from the toolbar's Email link."""

import pytest
from django.core import mail

from newsroom.outbox.models import Message
from sharing.models import EmailShare

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_emails_the_article_to_two_people(
    page, live_server, demo_article, settings, screenshot_dir
):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0  # a test types faster than a person
    page.goto(live_server.url + demo_article.get_absolute_url())
    page.get_by_role("navigation", name="Article tools").get_by_role("link", name="Email").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Email this article"
    # A click-started navigation may still be loading the stylesheet on a busy machine.
    page.wait_for_load_state("load")
    # The honeypot is in the page for bots but off screen for people.
    assert page.locator("#id_website").evaluate("el => el.getBoundingClientRect().right <= 0")

    page.get_by_label("Your name").fill("Priya Raman")
    page.get_by_label("Your email").fill("priya@example")
    page.get_by_label("Send to").fill("anil@example.com,\nmeera@example.org")
    page.get_by_label("Add a note (optional)").fill("The river part is what we discussed.")
    page.get_by_role("button", name="Send").click()
    # The browser's own check or ours: either way the reader sees what to fix, text kept.
    page.get_by_label("Your email").fill("priya@example.net")
    page.screenshot(path=screenshot_dir / "share-form.png", full_page=True)
    page.get_by_role("button", name="Send").click()

    assert page.get_by_role("status").inner_text() == "Sent to 2 recipients."
    page.screenshot(path=screenshot_dir / "share-sent.png", full_page=True)
    assert EmailShare.objects.get().status == EmailShare.Status.QUEUED
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.SENT}
    assert sorted(message.to[0] for message in mail.outbox) == [
        "anil@example.com",
        "meera@example.org",
    ]
