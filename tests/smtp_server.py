"""A real SMTP server for tests (aiosmtpd, in a thread) that refuses, delays and accepts mail the
way mail servers do, and keeps what it accepted.

    with SmtpServer(refuse_first=2) as server:   # "451 try again later" twice, then accepts
        ...  # EMAIL_URL=server.url
        server.wait_for(1)
        [message] = server.messages               # email.message.EmailMessage
"""

import asyncio
import email
import email.policy
import logging
import socket
import threading
import time

from aiosmtpd.controller import Controller

PORTS = range(8200, 8300)
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for the test SMTP server")


class Handler:
    def __init__(self, server: "SmtpServer") -> None:
        self.server = server

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        await asyncio.sleep(self.server.ehlo_delay)
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.server.refuse_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.server.lock:
            self.server.attempts += 1
            attempt = self.server.attempts
        if attempt <= self.server.refuse_first:
            return self.server.refuse_reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(message)  # queued: it will be delivered
        # A server that takes its time to say so: the sender cannot tell whether it went.
        await asyncio.sleep(self.server.data_delay)
        return "250 2.0.0 Queued"


class SmtpServer:
    def __init__(
        self,
        *,
        refuse_first: int = 0,
        refuse_reply: str = "451 4.3.0 Try again later",
        refuse_recipients: tuple[str, ...] = (),
        data_delay: float = 0.0,
        ehlo_delay: float = 0.0,
    ) -> None:
        self.refuse_first = refuse_first
        self.refuse_reply = refuse_reply
        self.refuse_recipients = refuse_recipients
        self.data_delay = data_delay
        self.ehlo_delay = ehlo_delay
        self.attempts = 0
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def use_in(self, settings) -> None:
        """Point this process's Django email settings at the server."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", self.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

    def wait_for(self, count: int, timeout: float = 30) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.messages)} of {count} emails after {timeout} s")
            time.sleep(0.05)
        return self.messages
