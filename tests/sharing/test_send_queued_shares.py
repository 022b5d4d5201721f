import io

import pytest
from django.core import mail
from django.core.management import call_command

from sharing.management.commands import send_queued_shares
from sharing.management.commands.send_queued_shares import Command
from sharing.models import EmailShare
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def queue_share(**overrides):
    fields = {
        "article": make_article(),
        "sender_name": "Priya",
        "sender_email": "priya@example.net",
        "recipients": "anil@example.com\nmeera@example.org",
        "recipient_count": 2,
    }
    fields.update(overrides)
    return EmailShare.objects.create(**fields)


def run(*args):
    out = io.StringIO()
    call_command("send_queued_shares", *args, stdout=out)
    return out.getvalue()


def test_sends_queued_shares_once_and_says_what_it_did():
    queue_share()
    queue_share(status=EmailShare.Status.SPAM)
    assert run() == (
        "1 share(s) due: 1 sent, 0 to retry later, 0 failed, 0 taken by another worker.\n"
    )
    assert len(mail.outbox) == 2
    assert run().startswith("0 share(s) due")
    assert len(mail.outbox) == 2


def test_dry_run_counts_and_sends_nothing():
    share = queue_share()
    assert run("--dry-run") == "1 share(s) due; nothing sent (dry run).\n"
    assert mail.outbox == []
    share.refresh_from_db()
    assert share.status == EmailShare.Status.QUEUED and share.attempts == 0


def test_command_is_documented():
    assert Command.help and send_queued_shares.__doc__
    parser = Command().create_parser("manage.py", "send_queued_shares")
    assert "--dry-run" in parser.format_help()
