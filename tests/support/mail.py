"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1, a free port, its own thread) that keeps what it
receives and offers a login, so that the sender's whole SMTP conversation (with AUTH) is exercised."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

SMTP_USER, SMTP_PASSWORD = "cpanet", "mail@secret:1"
LINK = re.compile(r"https?://\S+/ui/reset/([A-Za-z0-9_-]+)")


@dataclass
class Inbox:
    """Messages as they arrived (thread-safe enough: appended by the server thread, read by the test)."""

    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        assert isinstance(content, bytes)
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == SMTP_USER.encode()
            and auth_data.password == SMTP_PASSWORD.encode()
        )
        if ok:
            self.logins.append(SMTP_USER)
        return AuthResult(success=ok)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    async def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages to ``address`` once there are ``count`` of them (the app sends after answering)."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} message(s) to {address} did not arrive in {timeout} s")
            await asyncio.sleep(0.02)
        return self.to(address)


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    text = part.get_content()
    assert isinstance(text, str)
    return text


def token_in(message: EmailMessage) -> str:
    found = LINK.search(body(message))
    assert found, body(message)
    return found.group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, str]]:
    """A running server and the ``CPANET_SMTP_URL`` that reaches it (with its login, percent-encoded)."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        # AUTH is offered without TLS (a local test server): the sender logs in because the URL names a user.
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield inbox, f"smtp://{SMTP_USER}:mail%40secret%3A1@127.0.0.1:{port}"
    finally:
        controller.stop()
