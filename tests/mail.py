"""A real SMTP inbox for tests that send mail over the network (aiosmtpd handler)."""

from email import message_from_bytes, policy


class Inbox:
    """An aiosmtpd handler keeping every message it accepts, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append({"envelope_to": list(envelope.rcpt_tos), "message": message})
        return "250 Message accepted for delivery"
