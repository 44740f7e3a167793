"""Outgoing e-mail behind a small port: an SMTP sender (stdlib smtplib in a worker thread) configured by
``CPANET_SMTP_URL``, or none at all when the setting is empty.

``smtp://user:pass@host:port`` talks plain SMTP and upgrades with STARTTLS whenever the server offers it
(certificates verified); ``smtps://`` uses TLS from the first byte (port 465 by default). Credentials in the
URL are percent-decoded, so a password may contain ``@`` or ``:`` written as ``%40`` and ``%3A``.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol
from urllib.parse import unquote, urlsplit

from network.settings import MailSettings

log = logging.getLogger("cpanet.mail")
TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    tls: bool
    username: str
    password: str


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("CPANET_SMTP_URL must look like smtp://user:pass@host:port or smtps://...")
    tls = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if tls else 25),
        tls=tls,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


class SmtpMailer:
    def __init__(self, settings: MailSettings) -> None:
        self.target = parse_smtp_url(settings.smtp_url)
        self.sender = settings.mail_from

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = make_msgid(domain=self.target.host)
        message.set_content(mail.text)
        return message

    def _send(self, message: EmailMessage) -> None:
        target = self.target
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if target.tls:
            smtp = smtplib.SMTP_SSL(target.host, target.port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            smtp = smtplib.SMTP(target.host, target.port, timeout=TIMEOUT_SECONDS)
        with smtp:
            smtp.ehlo()
            if not target.tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            if target.username:
                smtp.login(target.username, target.password)
            smtp.send_message(message)

    async def send(self, mail: Mail) -> None:
        await asyncio.to_thread(self._send, self._message(mail))


def mailer_from_settings(settings: MailSettings) -> Mailer | None:
    """The configured sender, or None: then nothing is mailed (the callers say what happens instead)."""
    return SmtpMailer(settings) if settings.configured else None


class Outbox:
    """Sends mail after the request that asked for it has been answered, so that whether a message went out
    (an account exists) cannot be read from the response time. A failed delivery is logged, never shown."""

    def __init__(self, mailer: Mailer | None) -> None:
        self.mailer = mailer
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def configured(self) -> bool:
        return self.mailer is not None

    def post(self, mail: Mail) -> None:
        if self.mailer is None:
            return
        task = asyncio.create_task(self._deliver(self.mailer, mail), name="mail")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _deliver(self, mailer: Mailer, mail: Mail) -> None:
        try:
            await mailer.send(mail)
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            # The address is personal data and the body holds a secret link: neither goes to the log.
            log.warning("mail not delivered (%s: %s)", type(exc).__name__, exc)

    async def drain(self) -> None:
        """Wait for the mail still being sent (at shutdown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending))
