import html
import re

import pytest
from django.core import mail
from django.urls import reverse

from articles.models import Article
from newsroom.outbox import delivery as outbox
from newsroom.outbox.models import Message
from sharing.delivery import make_excerpt, queue_share
from sharing.models import EmailShare
from tests.factories import make_article, make_author

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return make_article(
        headline="Harbour ferry returns after repairs",
        slug="harbour-ferry",
        dek="The island service resumes on Monday with a new timetable.",
        body=(
            "<p>The ferry to Gull Island will run again from Monday &amp; carry up to 200 "
            "passengers.</p><h2>New timetable</h2><p>Crossings leave every ninety minutes.</p>"
        ),
        authors=[make_author(name="Arjun Sethi"), make_author(name="Leela Varghese")],
    )


def share_for(article, **overrides):
    fields = {
        "article": article,
        "sender_name": "Priya Raman",
        "sender_email": "priya@example.net",
        "recipients": "anil@example.com\nmeera@example.org",
        "recipient_count": 2,
        "note": "Thought you would like this.",
    }
    fields.update(overrides)
    return EmailShare.objects.create(**fields)


def part(message, subtype):
    return message.get_body(preferencelist=(subtype,)).get_content()


def test_smtp_round_trip_one_message_per_recipient(
    client, article, share_post, smtp_server, settings, django_capture_on_commit_callbacks
):
    smtp_server.start()
    note = 'Look at <b>this</b> & <script>alert("x")</script> https://evil.example'
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sharing:email", args=[article.slug]), share_post(note=note))
    assert response.status_code == 302

    received = smtp_server.wait_for(2)
    assert len(received) == 2
    assert [item["envelope_to"] for item in smtp_server.inbox.messages] == [
        ["anil@example.com"],
        ["meera@example.org"],
    ]
    link = (
        f"{settings.NEWSROOM_SITE_URL}{article.get_absolute_url()}"
        "?utm_source=email&utm_medium=article_share&utm_campaign=harbour-ferry"
    )
    for message, recipient in zip(received, ["anil@example.com", "meera@example.org"], strict=True):
        # Each person sees only their own address: no Cc, no other recipient.
        assert message["To"] == recipient
        assert message["Cc"] is None
        assert message["From"] == settings.DEFAULT_FROM_EMAIL
        assert message["Reply-To"] == "Priya Raman <priya@example.net>"
        assert message["Subject"] == "Priya Raman shared: Harbour ferry returns after repairs"

        text = part(message, "plain")
        assert "Harbour ferry returns after repairs" in text
        assert "The island service resumes on Monday with a new timetable." in text
        assert "By Arjun Sethi and Leela Varghese" in text
        assert "will run again from Monday & carry up to 200 passengers." in text
        assert "A note from Priya Raman (their words, not The Newsroom’s):" in text
        assert note in text  # plain text: shown exactly as typed
        assert link in text

        body = part(message, "html")
        assert "<script>" not in body and "<b>this</b>" not in body
        assert (
            "Look at &lt;b&gt;this&lt;/b&gt; &amp; &lt;script&gt;alert(&quot;x&quot;)"
            "&lt;/script&gt; https://evil.example"
        ) in body
        assert 'href="https://evil.example' not in body  # the note is not linkified
        assert "A note from Priya Raman (their words, not The Newsroom’s):" in body
        hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', body)]
        assert link in hrefs
        assert re.search(r'<a href="[^"]+"[^>]*>Read the full article</a>', body)
        assert "By Arjun Sethi and Leela Varghese" in body

    share = EmailShare.objects.get()
    assert share.status == EmailShare.Status.QUEUED
    assert share.recipients == ""  # the outbox holds each address until its message is sent
    assert list(Message.objects.values_list("kind", "status")) == [("share", "sent")] * 2


def test_a_share_of_an_article_taken_down_meanwhile_is_cancelled_not_sent(article):
    share = share_for(article)
    queue_share(share)
    Article.objects.filter(pk=article.pk).update(status=Article.Status.WITHDRAWN)
    assert outbox.send_due()["cancelled"] == 2
    assert set(Message.objects.values_list("last_error", flat=True)) == {
        "The article is no longer published."
    }
    assert mail.outbox == []


def test_deleting_the_article_keeps_the_share_and_cancels_its_messages_on_record(article):
    share = share_for(article)
    queue_share(share)
    article.delete()
    share.refresh_from_db()
    assert share.article is None
    assert str(share) == "Priya Raman shared “a deleted article”"
    assert outbox.send_due()["cancelled"] == 2
    assert Message.objects.filter(status=Message.Status.CANCELLED).count() == 2
    assert mail.outbox == []


def test_recipients_are_kept_on_the_share_when_the_setting_is_off(article, settings):
    settings.NEWSROOM_SHARE_DELETE_RECIPIENTS = False
    share = share_for(article)
    queue_share(share)
    share.refresh_from_db()
    assert share.recipient_list == ["anil@example.com", "meera@example.org"]


def test_excerpt_is_plain_text_of_the_opening_paragraphs():
    body = "<p>One &amp; <em>two</em>.</p><h2>Skip me</h2><p>" + "word " * 80 + "</p>"
    excerpt = make_excerpt(body)
    assert excerpt.startswith("One & two. word word")
    assert "Skip me" not in excerpt
    assert excerpt.endswith("…")
    assert len(excerpt.split()) == 50
