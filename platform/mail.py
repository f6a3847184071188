"""Sending mail: SMTP in production, files in ``instance/outbox`` in development.

``CIVIC_SMTP_URL`` chooses the transport: ``smtp://[user:password@]host[:port]``
(STARTTLS when the server offers it), ``smtps://…`` (TLS from the start,
port 465 by default). Unset, each message is written to
``<instance>/outbox/<time>-<random>.eml``, where a developer opens it.
Sending errors are raised as :class:`MailError`, never swallowed. Each message
names its language (``Content-Language``), the one its text was written in.
"""

from __future__ import annotations

import smtplib
import ssl
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from civicdata.config import Config, ConfigError

SMTP_TIMEOUT = 10


class MailError(RuntimeError):
    """A message could not be handed to the mail transport."""


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str, language: str = "en") -> None: ...


def compose(sender: str, to: str, subject: str, body: str, language: str = "en") -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    message["Content-Language"] = language  # after set_content, which resets Content-* headers
    return message


@dataclass(frozen=True)
class OutboxMailer:
    """Writes each message as an ``.eml`` file (development and tests without SMTP)."""

    folder: Path
    sender: str

    def send(self, to: str, subject: str, body: str, language: str = "en") -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        message = compose(self.sender, to, subject, body, language)
        (self.folder / name).write_bytes(bytes(message))


@dataclass(frozen=True)
class SmtpMailer:
    """Hands each message to an SMTP server (one connection per message)."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None
    sender: str

    def send(self, to: str, subject: str, body: str, language: str = "en") -> None:
        message = compose(self.sender, to, subject, body, language)
        try:
            if self.implicit_tls:
                context = ssl.create_default_context()
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=SMTP_TIMEOUT, context=context
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)
            with smtp:
                smtp.ehlo()
                if not self.implicit_tls and smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"could not send mail through {self.host}:{self.port}: {exc}") from exc


def mailer_for(config: Config) -> Mailer:
    """The mailer ``config`` asks for (``CIVIC_SMTP_URL``, else the outbox folder)."""
    if not config.smtp_url:
        return OutboxMailer(folder=config.instance_path / "outbox", sender=config.mail_from)
    parts = urlsplit(config.smtp_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError("CIVIC_SMTP_URL must look like smtp://host:port or smtps://host:port")
    implicit_tls = parts.scheme == "smtps"
    return SmtpMailer(
        host=parts.hostname,
        port=parts.port or (465 if implicit_tls else 25),
        implicit_tls=implicit_tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        sender=config.mail_from,
    )
