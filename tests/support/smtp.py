"""A real SMTP server (aiosmtpd) on a free loopback port, collecting what it receives.

::

    with smtp_server() as smtp:
        config = dataclasses.replace(config, smtp_url=smtp.url)
        ...
        smtp.wait_for(to="a@example.org").link("/verify/")
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller

from tests.support.gunicorn import free_port

LINK = re.compile(r"https?://\S+")


@dataclass
class Received:
    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return cast(str, self.message.get_content())

    def link(self, path: str) -> str:
        links = [link for link in LINK.findall(self.body) if path in link]
        assert links, f"no {path} link in: {self.body}"
        return links[0]


@dataclass
class SmtpServer:
    url: str
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), cast(EmailMessage, message)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [mail for mail in self.received if address in mail.to]

    def wait_for(self, to: str, count: int = 1, seconds: float = 15) -> Received:
        """The ``count``-th mail to ``to`` (waiting for it)."""
        deadline = time.monotonic() + seconds
        while len(self.to(to)) < count:
            assert time.monotonic() < deadline, f"no mail number {count} to {to}"
            time.sleep(0.05)
        return self.to(to)[count - 1]


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    port = free_port()
    server = SmtpServer(url=f"smtp://127.0.0.1:{port}")
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def outbox_link(folder: Path, to: str, path: str) -> str:
    """The ``path`` link of the newest mail to ``to`` in a development outbox folder."""
    for eml in sorted(folder.glob("*.eml"), reverse=True):
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        if message["To"] == to:
            return Received([to], cast(EmailMessage, message)).link(path)
    raise AssertionError(f"no mail to {to} in {folder}")
