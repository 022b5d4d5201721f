"""The mail outbox: stored with its cause, sent at most once per recipient, retried for days."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from newsroom.outbox import delivery
from newsroom.outbox.models import Message
from tests.factories import make_user

pytestmark = pytest.mark.django_db

Status = Message.Status


def email(to=("anil@example.com", "meera@example.org"), subject="Ferry news"):
    message = EmailMultiAlternatives(
        subject=subject,
        body="The ferry runs again.",
        to=list(to),
        reply_to=["Priya <priya@example.net>"],
        headers={"List-Unsubscribe": "<https://example.org/u/1/>"},
    )
    message.attach_alternative("<p>The ferry runs again.</p>", "text/html")
    return message


def queue(**kwargs):
    return delivery.enqueue(email(**kwargs), kind="test", key="test:1")


def test_one_row_per_recipient_and_the_same_email_queued_twice_is_stored_once():
    first = queue()
    again = queue()
    assert len(first) == 2 and again == []
    assert sorted(Message.objects.values_list("to_address", flat=True)) == [
        "anil@example.com",
        "meera@example.org",
    ]
    row = Message.objects.get(to_address="anil@example.com")
    assert row.status == Status.QUEUED and row.kind == "test"
    assert row.give_up_at - row.created_at == timedelta(days=3)


def test_a_message_exists_only_if_the_transaction_that_caused_it_commits():
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            queue()
            raise RuntimeError("the comment could not be stored")
    assert not Message.objects.exists()


def test_send_delivers_the_stored_email_over_smtp(smtp_server):
    smtp_server.start()
    for pk in queue():
        assert delivery.send(pk) == Status.SENT
    received = smtp_server.wait_for(2)
    assert smtp_server.recipients() == ["anil@example.com", "meera@example.org"]
    assert received[0]["To"] == "anil@example.com" and received[0]["Cc"] is None
    assert received[0]["Reply-To"] == "Priya <priya@example.net>"
    assert received[0]["List-Unsubscribe"] == "<https://example.org/u/1/>"
    assert received[0].get_body(preferencelist=("html",)).get_content().strip() == (
        "<p>The ferry runs again.</p>"
    )
    assert set(Message.objects.values_list("status", flat=True)) == {Status.SENT}
    # A late task or sweep finds nothing left to send.
    assert delivery.send(Message.objects.first().pk) is None
    assert delivery.send_due()["due"] == 0


def test_smtp_trouble_retries_with_a_doubling_capped_delay_for_three_days(smtp_server):
    (pk,) = queue(to=["anil@example.com"])
    now = timezone.now()
    delays = []
    while Message.objects.get(pk=pk).status == Status.QUEUED:
        due = Message.objects.get(pk=pk).next_attempt_at
        now = max(now, due)
        delivery.send(pk, now=now)
        delays.append(round((Message.objects.get(pk=pk).next_attempt_at - now).total_seconds()))
    message = Message.objects.get(pk=pk)
    assert delays[:5] == [30, 60, 120, 240, 480]
    assert max(delays) == 3600  # NEWSROOM_OUTBOX_MAX_RETRY_DELAY
    assert message.status == Status.FAILED
    assert message.last_error  # e.g. "[Errno 111] Connection refused"
    # It kept trying for the whole retry window, not six minutes.
    assert now - message.created_at > timedelta(days=2, hours=22)
    assert message.attempts > 70


def test_the_retry_window_is_a_setting(settings):
    settings.NEWSROOM_OUTBOX_RETRY_SECONDS = 600
    settings.EMAIL_BACKEND = "tests.comments.failing_mail.Backend"
    (pk,) = queue(to=["anil@example.com"])
    now = timezone.now()
    while Message.objects.get(pk=pk).status == Status.QUEUED:
        now = max(now, Message.objects.get(pk=pk).next_attempt_at)
        delivery.send(pk, now=now)
    assert Message.objects.get(pk=pk).status == Status.FAILED
    assert now - Message.objects.get(pk=pk).created_at < timedelta(minutes=10)


def test_two_workers_never_send_the_same_message():
    (pk,) = queue(to=["anil@example.com"])
    token = Message.objects.claim(pk)
    assert token is not None
    assert Message.objects.claim(pk) is None
    assert delivery.send(pk) is None
    assert mail.outbox == []


def test_a_dead_workers_claim_expires_after_a_minute_not_fifteen():
    (pk,) = queue(to=["anil@example.com"])
    now = timezone.now()
    assert Message.objects.claim(pk, now)
    assert not Message.objects.due(now + timedelta(seconds=59)).exists()
    assert Message.objects.due(now + timedelta(seconds=61)).exists()
    assert delivery.send(pk, now=now + timedelta(seconds=61)) == Status.SENT
    assert len(mail.outbox) == 1


def test_only_the_current_claim_holder_records_the_outcome():
    (pk,) = queue(to=["anil@example.com"])
    now = timezone.now()
    stale = Message.objects.claim(pk, now)
    Message.objects.claim(pk, now + timedelta(minutes=2))  # another worker took it over
    assert not Message.objects.get(pk=pk).record_sent(stale)
    assert Message.objects.get(pk=pk).status == Status.SENDING


def test_a_refused_address_fails_at_once_and_others_still_go(smtp_server, monkeypatch):
    import smtplib

    smtp_server.start()
    refused, fine = queue()
    real_send = EmailMessage.send

    def send(self, *args, **kwargs):
        if self.to == ["anil@example.com"]:
            raise smtplib.SMTPRecipientsRefused({"anil@example.com": (550, b"No such user")})
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(EmailMessage, "send", send)
    assert delivery.send_due()["failed"] == 1
    assert Message.objects.get(pk=refused).status == Status.FAILED
    assert Message.objects.get(pk=fine).status == Status.SENT


def test_a_guard_cancels_a_message_no_longer_wanted_and_says_why(monkeypatch):
    monkeypatch.setattr(
        "tests.newsroom.outbox.test_delivery.unwanted", lambda source: "Taken down", raising=False
    )
    (pk,) = delivery.enqueue(
        email(to=["anil@example.com"]),
        kind="test",
        key="test:guarded",
        guard="tests.newsroom.outbox.test_delivery.unwanted",
    )
    assert delivery.send(pk) == Status.CANCELLED
    assert Message.objects.get(pk=pk).last_error == "Taken down"
    assert mail.outbox == []


def test_the_command_sends_what_is_due_and_says_what_it_did(capsys):
    queue()
    call_command("send_outbox", "--dry-run")
    assert capsys.readouterr().out == "2 messages due; nothing sent (dry run).\n"
    assert mail.outbox == []
    call_command("send_outbox")
    assert capsys.readouterr().out == (
        "2 due: 2 sent, 0 to retry, 0 failed, 0 cancelled, 0 taken by another worker.\n"
    )
    assert len(mail.outbox) == 2


def test_the_sweep_is_scheduled_in_celery_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["outbox-send-due"]
    assert entry["task"] == "newsroom.outbox.tasks.send_due_messages"
    assert entry["schedule"] == settings.NEWSROOM_OUTBOX_SWEEP_SECONDS == 60


# --- The admin --------------------------------------------------------------------------------


def test_failed_messages_are_listed_and_can_be_sent_again(
    client, django_capture_on_commit_callbacks, settings
):
    client.force_login(
        make_user("chief", email="chief@example.com", is_staff=True, is_superuser=True)
    )
    failed, sent = queue()
    Message.objects.filter(pk=failed).update(status=Status.FAILED, attempts=80, last_error="Down")
    Message.objects.filter(pk=sent).update(status=Status.SENT)
    changelist = reverse("admin:outbox_message_changelist")
    listing = client.get(changelist + "?status__exact=failed").content.decode()
    assert "anil@example.com" in listing and "meera@example.org" not in listing
    detail = client.get(reverse("admin:outbox_message_change", args=[failed])).content.decode()
    assert "Down" in detail

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            changelist, {"action": "send_again", "_selected_action": [failed, sent]}
        )
    assert response.status_code == 302
    assert Message.objects.get(pk=failed).status == Status.SENT
    assert [m.to for m in mail.outbox] == [["anil@example.com"]]  # the sent one not again


def test_editors_see_the_outbox(client):
    editor = make_user("desk", groups=["Editors"], is_staff=True)
    client.force_login(editor)
    assert client.get(reverse("admin:outbox_message_changelist")).status_code == 200


def test_sent_and_cancelled_messages_are_deleted_after_the_retention_failed_ones_kept(settings):
    from newsroom.outbox.tasks import purge_old_messages

    settings.NEWSROOM_OUTBOX_KEEP_DAYS = 30
    old = timezone.now() - timedelta(days=31)
    rows = {}
    for status in (Status.SENT, Status.CANCELLED, Status.FAILED, Status.QUEUED):
        (pk,) = delivery.enqueue(
            email(to=[f"{status}@example.org"]), kind="test", key=f"old:{status}"
        )
        Message.objects.filter(pk=pk).update(status=status, created_at=old)
        rows[status] = pk
    (recent,) = delivery.enqueue(email(to=["recent@example.org"]), kind="test", key="recent")
    Message.objects.filter(pk=recent).update(status=Status.SENT)
    assert purge_old_messages.run() == 2
    assert set(Message.objects.values_list("pk", flat=True)) == {
        rows[Status.FAILED],
        rows[Status.QUEUED],
        recent,
    }
    assert settings.CELERY_BEAT_SCHEDULE["outbox-purge"]["task"] == purge_old_messages.name
