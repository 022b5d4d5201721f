"""A real SMTP inbox for tests that send mail over the network (aiosmtpd handler)."""

import socket
import time
from email import message_from_bytes, policy


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every message it accepts, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append({"envelope_to": list(envelope.rcpt_tos), "message": message})
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on a fixed local port that a test can stop and start again."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return [item["message"] for item in self.inbox.messages]

    def recipients(self):
        """Return every envelope recipient of every message received, in order."""
        return [to for item in self.inbox.messages for to in item["envelope_to"]]

    def wait_for(self, count, timeout=20):
        deadline = time.monotonic() + timeout
        while len(self.inbox.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages
