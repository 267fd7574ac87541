"""A real SMTP server on localhost (aiosmtpd) that keeps what it receives, optionally slowly."""

import asyncio
import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class _Inbox:
    def __init__(self, delay: float = 0.0):
        self.messages, self.delay = [], delay

    async def handle_DATA(self, _server, _session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)  # a slow server: the sender waits for the 250
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self, delay: float = 0.0, inbox=None):
        # Another inbox (a handler with handle_DATA) can be given, e.g. to note when mail came.
        self.inbox = inbox or _Inbox(delay)
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self):
        return self.inbox.messages

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *_exc):
        self.controller.stop()
