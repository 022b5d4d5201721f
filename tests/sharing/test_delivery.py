import html
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from sharing.delivery import deliver, make_excerpt
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
        assert "A note from Priya Raman (their words, not The Newsroom's):" in text
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
    assert share.status == EmailShare.Status.SENT
    assert share.sent_count == 2 and share.attempts == 1
    assert share.recipients == ""


def test_smtp_down_keeps_the_share_queued_then_sends_it_once_when_back(
    client, article, share_post, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sharing:email", args=[article.slug]), share_post())
    assert response.status_code == 302  # the reader is answered although mail is down

    share = EmailShare.objects.get()
    assert share.status == EmailShare.Status.QUEUED
    assert share.attempts == 1
    assert share.last_error  # e.g. "[Errno 111] Connection refused"
    assert share.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert share.recipient_list == ["anil@example.com", "meera@example.org"]

    smtp_server.start()
    # The retry is not due yet: the sweep leaves it alone.
    call_command("send_queued_shares", stdout=(out := _Output()))
    assert smtp_server.messages == []
    assert out.text == (
        "0 share(s) due: 0 sent, 0 to retry later, 0 failed, 0 taken by another worker.\n"
    )

    EmailShare.objects.update(next_attempt_at=timezone.now())  # the backoff has passed
    call_command("send_queued_shares", stdout=(out := _Output()))
    assert out.text.startswith("1 share(s) due: 1 sent,")
    call_command("send_queued_shares", stdout=_Output())
    assert deliver(share.pk) is None  # a late Celery retry finds nothing to do

    assert sorted(m["To"] for m in smtp_server.wait_for(2)) == [
        "anil@example.com",
        "meera@example.org",
    ]
    assert len(smtp_server.messages) == 2  # no duplicate
    share.refresh_from_db()
    assert share.status == EmailShare.Status.SENT
    assert share.attempts == 2


class _Output:
    def __init__(self):
        self.text = ""

    def write(self, value):
        self.text += value

    def flush(self):
        pass


def test_retries_back_off_then_give_up(article, smtp_server, settings):
    settings.NEWSROOM_SHARE_MAX_ATTEMPTS = 3
    settings.NEWSROOM_SHARE_RETRY_BACKOFF = 60
    share = share_for(article)
    delays = []
    for _ in range(3):
        before = timezone.now()
        share = deliver(share.pk)
        delays.append(round((share.next_attempt_at - before).total_seconds() / 60))
        EmailShare.objects.update(next_attempt_at=timezone.now())
    assert delays[:2] == [1, 2]  # 60 s, then 120 s
    share.refresh_from_db()
    assert share.status == EmailShare.Status.FAILED
    assert share.attempts == 3
    # A failed share keeps its addresses so an editor can send it again from the admin.
    assert share.recipient_list == ["anil@example.com", "meera@example.org"]


def test_a_retry_resumes_after_the_recipients_already_served(article, smtp_server):
    smtp_server.start()
    share = share_for(article, sent_count=1)
    deliver(share.pk)
    assert [m["To"] for m in smtp_server.wait_for(1)] == ["meera@example.org"]


def test_two_workers_never_send_the_same_share(article):
    share = share_for(article)
    assert EmailShare.objects.claim(share.pk) is True
    assert EmailShare.objects.claim(share.pk) is False
    assert deliver(share.pk) is None
    assert mail.outbox == []


def test_a_share_left_sending_by_a_dead_worker_is_taken_over_later(article):
    share = share_for(article)
    assert EmailShare.objects.claim(share.pk)
    assert not EmailShare.objects.due().exists()
    EmailShare.objects.update(claimed_at=timezone.now() - timedelta(minutes=16))
    assert deliver(share.pk).status == EmailShare.Status.SENT
    assert len(mail.outbox) == 2


def test_spam_and_sent_shares_are_never_sent(article):
    spam = share_for(article, status=EmailShare.Status.SPAM)
    sent = share_for(article, status=EmailShare.Status.SENT)
    assert deliver(spam.pk) is None and deliver(sent.pk) is None
    assert mail.outbox == []


def test_a_share_of_an_article_taken_down_meanwhile_is_not_sent(article):
    share = share_for(article)
    Article.objects.filter(pk=article.pk).update(status=Article.Status.WITHDRAWN)
    share = deliver(share.pk)
    assert share.status == EmailShare.Status.FAILED
    assert share.last_error == "The article is no longer published."
    assert mail.outbox == []


def test_recipients_are_kept_after_sending_when_the_setting_is_off(article, settings):
    settings.NEWSROOM_SHARE_DELETE_RECIPIENTS = False
    share = deliver(share_for(article).pk)
    share.refresh_from_db()
    assert share.status == EmailShare.Status.SENT
    assert share.recipient_list == ["anil@example.com", "meera@example.org"]


def test_excerpt_is_plain_text_of_the_opening_paragraphs():
    body = "<p>One &amp; <em>two</em>.</p><h2>Skip me</h2><p>" + "word " * 80 + "</p>"
    excerpt = make_excerpt(body)
    assert excerpt.startswith("One & two. word word")
    assert "Skip me" not in excerpt
    assert excerpt.endswith("…")
    assert len(excerpt.split()) == 50
