"""A Celery worker killed in the middle of a batch of mail (issue 12).

The stack's worker sends 20 messages through a slow mail server and is killed (SIGKILL) part
way; a new worker with beat is started. Every recipient must get exactly one copy, within two
minutes of the restart: the dead worker's claim expires (NEWSROOM_OUTBOX_CLAIM_SECONDS, 30 s
here to keep the run short; a minute by default) and the sweep sends what its lost tasks held.
"""

import asyncio
import os
import signal
import time
from collections import Counter

import pytest

from newsroom.outbox.models import Message
from tests.factories import make_article
from tests.mail import Inbox
from tests.multiserver.stack import Browser, Process

from .conftest import report

pytestmark = [pytest.mark.postgres]

STACK_ENV = {
    "NEWSROOM_SHARE_IP_RATE_LIMITS": "1000/h",
    "NEWSROOM_SHARE_SENDER_RATE_LIMITS": "1000/h",
    "NEWSROOM_OUTBOX_CLAIM_SECONDS": "30",
    "NEWSROOM_OUTBOX_SWEEP_SECONDS": "5",
}
SHARES, PER_SHARE = 4, 5


class SlowInbox(Inbox):
    """A mail server that takes a while to accept each recipient, as a busy relay does."""

    def __init__(self):
        super().__init__()
        self.accepting_since = None  # monotonic time a recipient started being accepted

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.accepting_since = time.monotonic()
        await asyncio.sleep(0.3)
        self.accepting_since = None
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def is_mid_conversation(self):
        """Return True if a sender is waiting on a recipient, with most of the wait to come."""
        started = self.accepting_since
        return started is not None and time.monotonic() - started < 0.1


SMTP_HANDLER = SlowInbox


def test_worker_killed_mid_batch_every_recipient_gets_one_copy(servers, fault_stack):
    server_a, _ = servers
    article = make_article(headline="Ferry strike called off")
    expected = []
    for n in range(SHARES):
        recipients = [f"reader{n}-{r}@example.com" for r in range(PER_SHARE)]
        response = Browser(ip=f"198.51.100.{n + 1}").submit(
            server_a,
            f"/share/{article.slug}/",
            "sender_email",
            {
                "sender_name": "Priya Raman",
                "sender_email": f"priya{n}@example.net",
                "recipients": ", ".join(recipients),
                "note": "",
                "website": "",
            },
        )
        assert response.status == 302, response.body[:500]
        expected += recipients

    inbox = fault_stack.inbox
    inbox.wait_for(6, timeout=60)
    # Kill it while it holds a message: claimed, in the middle of talking to the mail server
    # (waiting on a recipient, so the message cannot have been accepted yet; a kill between the
    # server's acceptance and the worker marking the row sent is the one duplicate SMTP allows).
    deadline = time.monotonic() + 10
    server = inbox.inbox
    while not (
        server.is_mid_conversation()
        and Message.objects.filter(status=Message.Status.SENDING).exists()
    ):
        assert time.monotonic() < deadline, "the worker never held a message"
        time.sleep(0.01)
    worker = fault_stack.worker
    os.killpg(worker.popen.pid, signal.SIGKILL)
    worker.popen.wait(timeout=10)
    at_kill = len(inbox.messages)
    time.sleep(1)
    assert len(inbox.messages) == at_kill, "the killed worker still sent mail"
    in_flight = Message.objects.filter(status=Message.Status.SENDING).count()

    restarted = Process(
        "celery worker (restarted, with beat)",
        [*worker.command, "-B", "-s", str(fault_stack.workdir / "beat-schedule")],
        worker.env,
        fault_stack.workdir / "worker-restarted.log",
    )
    fault_stack.worker = restarted
    restarted.start()
    started = time.monotonic()
    deadline = started + 120
    while time.monotonic() < deadline:
        if len(inbox.messages) >= len(expected) and not Message.objects.backlog().exists():
            break
        time.sleep(0.5)
    took = time.monotonic() - started
    time.sleep(2)  # room for a duplicate to arrive
    received = Counter(to for item in inbox.messages for to in item["envelope_to"])
    report(
        f"worker killed mid-batch: {len(expected)} messages, {at_kill} sent before the kill, "
        f"{in_flight} claimed by the dead worker; after restart all delivered in {took:.0f} s; "
        f"received {sum(received.values())} for {len(received)} recipients, duplicates "
        f"{sum(n > 1 for n in received.values())}"
    )
    assert sorted(received) == sorted(expected)
    assert set(received.values()) == {1}
    assert in_flight == 1
    assert took < 120
