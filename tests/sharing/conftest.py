"""Fixtures for the sharing tests: a real SMTP server on 127.0.0.1 and a human-paced form post."""

import socket
import time

import pytest
from aiosmtpd.controller import Controller

from newsroom.spamtraps import sign_render_time
from tests.mail import Inbox


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """A real SMTP server on a fixed local port that a test can stop and start again."""

    def __init__(self, port):
        self.port = port
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return [item["message"] for item in self.inbox.messages]

    def wait_for(self, count, timeout=20):
        deadline = time.monotonic() + timeout
        while len(self.inbox.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_server(settings):
    """Point Django's SMTP backend at a local aiosmtpd server (stopped; call .start())."""
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def share_post():
    """Return form data as a person would post it, 20 seconds after the form was shown."""

    def build(**overrides):
        data = {
            "sender_name": "Priya Raman",
            "sender_email": "priya@example.net",
            "recipients": "anil@example.com, meera@example.org",
            "note": "Thought you would find this useful.",
            "website": "",
            "rendered_at": sign_render_time(time.time() - 20),
        }
        data.update(overrides)
        return data

    return build
