import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from newsroom import ratelimit
from newsroom.outbox.models import Message
from sharing.models import EmailShare
from tests.factories import make_article

pytestmark = pytest.mark.django_db


class FrozenClock:
    """Stands in for the time module inside newsroom.ratelimit."""

    def __init__(self, now):
        self.now = now

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    # The start of a day, so hour and day windows begin together.
    frozen = FrozenClock(1_800_000_000 - 1_800_000_000 % 86400)
    monkeypatch.setattr("newsroom.ratelimit.time", frozen)
    return frozen


@pytest.fixture
def article():
    return make_article(headline="Harbour ferry returns after repairs", slug="harbour-ferry")


def email_url(article):
    return reverse("sharing:email", args=[article.slug])


def test_toolbar_links_to_the_share_form_and_the_print_view(client, article):
    html = client.get(article.get_absolute_url()).content.decode()
    assert f'href="{email_url(article)}"' in html
    assert f'href="{article.get_absolute_url()}print/?autoprint=1"' in html


def test_form_shows_the_article_and_the_fields(client, article):
    response = client.get(email_url(article))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Harbour ferry returns after repairs" in html
    for label in ["Your name", "Your email", "Send to", "Add a note (optional)"]:
        assert label in html
    assert 'name="website"' in html and 'aria-hidden="true"' in html
    assert 'name="rendered_at"' in html
    assert "csrfmiddlewaretoken" in html
    assert '<meta name="robots" content="noindex">' in html
    assert "no-cache" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "overrides, status",
    [
        ({"status": Article.Status.DRAFT}, 404),
        ({"status": Article.Status.IN_REVIEW}, 404),
        ({"publish_at": timezone.now() + timedelta(hours=2)}, 404),  # scheduled
        ({"status": Article.Status.WITHDRAWN}, 410),  # like the taken-down article's page
    ],
)
def test_unpublished_articles_cannot_be_emailed(client, share_post, overrides, status):
    hidden = make_article(**overrides)
    assert client.get(email_url(hidden)).status_code == status
    assert client.post(email_url(hidden), share_post()).status_code == status
    assert not EmailShare.objects.exists()
    assert mail.outbox == []


def test_valid_share_is_stored_sent_and_confirmed(
    client, article, share_post, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(email_url(article), share_post())
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("sharing:sent", args=[article.slug])

    share = EmailShare.objects.get()
    assert share.status == EmailShare.Status.QUEUED
    assert share.recipient_count == 2
    assert share.recipients == ""  # the outbox has each address
    assert Message.objects.filter(status=Message.Status.SENT).count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["anil@example.com", "meera@example.org"]

    page = client.get(response.headers["Location"]).content.decode()
    assert "Sent to 2 recipients." in page
    assert f'href="{article.get_absolute_url()}"' in page


def test_one_recipient_is_confirmed_in_the_singular(
    client, article, share_post, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(email_url(article), share_post(recipients="anil@example.com"))
    assert "Sent to 1 recipient." in client.get(response.headers["Location"]).content.decode()


def test_the_share_is_stored_before_any_mail_is_attempted(
    client, article, share_post, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(email_url(article), share_post())
    share = EmailShare.objects.get()
    assert share.status == EmailShare.Status.QUEUED
    # Stored with the share, in its transaction: one outbox message per recipient.
    assert sorted(Message.objects.values_list("to_address", "status")) == [
        ("anil@example.com", "queued"),
        ("meera@example.org", "queued"),
    ]
    assert mail.outbox == []
    assert len(callbacks) == 2  # each handed to Celery only once the rows are committed


def test_the_same_form_posted_twice_sends_once(
    client, article, share_post, django_capture_on_commit_callbacks
):
    form = client.get(email_url(article)).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(email_url(article), share_post(idempotency_key=key))
        # The answer was lost; the browser (or the reader) posts the same form again.
        again = client.post(email_url(article), share_post(idempotency_key=key))
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == reverse("sharing:sent", args=[article.slug])
    assert EmailShare.objects.count() == 1
    assert len(mail.outbox) == 2
    # A new form carries a new key.
    assert key not in client.get(email_url(article)).content.decode()


def test_invalid_form_reshows_with_text_kept_and_nothing_stored(client, article, share_post):
    response = client.post(
        email_url(article), share_post(recipients="anil@example", note="Worth a read.")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the marked field below. Nothing has been sent yet." in html
    assert "“anil@example” is not a valid email address." in html
    assert "Worth a read." in html and 'value="Priya Raman"' in html
    assert not EmailShare.objects.exists()


def test_header_injection_is_a_form_error_never_a_500_nor_a_message(
    client, article, share_post, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            email_url(article),
            share_post(sender_name="Priya\r\nBcc: everyone@example.com"),
        )
    assert response.status_code == 200
    assert "Please remove the line breaks" in response.content.decode()
    assert not EmailShare.objects.exists()
    assert mail.outbox == []


def test_trapped_share_is_accepted_silently_but_never_sent(
    client, article, share_post, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(email_url(article), share_post(website="http://spam.example"))
    assert response.status_code == 302
    assert "Sent to 2 recipients." in client.get(response.headers["Location"]).content.decode()
    share = EmailShare.objects.get()
    assert share.status == EmailShare.Status.SPAM
    assert mail.outbox == []


def test_sixth_share_in_an_hour_from_one_ip_is_refused_with_429(client, article, share_post, clock):
    for n in range(5):
        response = client.post(email_url(article), share_post(sender_email=f"p{n}@example.net"))
        assert response.status_code == 302
    response = client.post(
        email_url(article), share_post(sender_email="p9@example.net", note="Keep this text")
    )
    html = response.content.decode()
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3600"
    assert "You can send again in about 60 minutes." in html
    assert "Keep this text" in html  # the reader's message is not lost
    assert EmailShare.objects.count() == 5

    clock.now += 3600  # the hour window resets
    response = client.post(email_url(article), share_post(sender_email="p9@example.net"))
    assert response.status_code == 302
    assert EmailShare.objects.count() == 6


def test_a_refused_share_describes_the_wait_with_the_shared_words(
    client, article, share_post, clock, settings
):
    settings.NEWSROOM_SHARE_IP_RATE_LIMITS = "1/h"
    assert client.post(email_url(article), share_post()).status_code == 302
    with mock.patch.object(ratelimit, "describe_wait", return_value="<the wait>") as describe:
        response = client.post(email_url(article), share_post(sender_email="p2@example.net"))
    assert response.status_code == 429
    assert "You can send again in &lt;the wait&gt;." in response.content.decode()
    describe.assert_called_once_with(int(response.headers["Retry-After"]))


def test_one_sender_address_is_limited_across_ips(client, article, share_post, clock):
    for n in range(5):
        response = client.post(email_url(article), share_post(), REMOTE_ADDR=f"10.0.0.{n}")
        assert response.status_code == 302
    response = client.post(email_url(article), share_post(), REMOTE_ADDR="10.0.0.99")
    assert response.status_code == 429


def test_behind_the_proxy_each_reader_has_their_own_ip_limit(
    client, article, share_post, clock, settings
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for n in range(5):
        data = share_post(sender_email=f"busy{n}@example.net")
        response = client.post(
            email_url(article), data, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy
        )
        assert response.status_code == 302
    data = share_post(sender_email="busy9@example.net")
    response = client.post(email_url(article), data, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    assert response.status_code == 429
    # Another reader arriving through the same proxy is not blocked by the first one's shares.
    data = share_post(sender_email="other@example.net")
    response = client.post(email_url(article), data, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy)
    assert response.status_code == 302


def test_twenty_shares_a_day_then_refused_until_the_next_day(client, article, share_post, clock):
    start = clock.now
    for hour in range(4):
        clock.now = start + hour * 3600
        for n in range(5):
            data = share_post(sender_email=f"h{hour}n{n}@example.net")
            assert client.post(email_url(article), data).status_code == 302
    clock.now = start + 4 * 3600
    response = client.post(email_url(article), share_post(sender_email="late@example.net"))
    assert response.status_code == 429
    assert "You can send again in about 20 hours." in response.content.decode()
    clock.now = start + 86400
    response = client.post(email_url(article), share_post(sender_email="late@example.net"))
    assert response.status_code == 302


def test_invalid_posts_do_not_use_up_the_limit(client, article, share_post, clock):
    for _ in range(10):
        client.post(email_url(article), share_post(recipients="nobody"))
    assert client.post(email_url(article), share_post()).status_code == 302


def test_form_page_runs_a_fixed_number_of_queries(client, article, django_assert_num_queries):
    with django_assert_num_queries(3):  # article, its bylines, the navigation sections
        client.get(email_url(article))
