"""Mail transports: the development outbox folder, and SMTP errors that are never swallowed."""

from __future__ import annotations

import dataclasses
from email import message_from_bytes, policy

import pytest

from civicdata.config import ConfigError
from civicdata.mail import MailError, OutboxMailer, SmtpMailer, mailer_for
from tests.support.gunicorn import free_port
from tests.support.smtp import smtp_server


def test_without_smtp_url_mail_goes_to_the_outbox(config) -> None:
    mailer = mailer_for(config)
    assert isinstance(mailer, OutboxMailer)
    mailer.send("gil@example.org", "Hello", "A body with a link https://x.example/verify/abc")
    (written,) = (config.instance_path / "outbox").glob("*.eml")
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["To"] == "gil@example.org" and message["Subject"] == "Hello"
    assert "verify/abc" in message.get_content()


def test_smtp_url_sends_through_the_server(config) -> None:
    with smtp_server() as smtp:
        mailer = mailer_for(dataclasses.replace(config, smtp_url=smtp.url))
        assert isinstance(mailer, SmtpMailer)
        mailer.send("hu@example.org", "Hi", "body")
        assert smtp.wait_for("hu@example.org").subject == "Hi"


def test_smtp_failures_are_raised_and_bad_urls_refused(config) -> None:
    nobody = f"smtp://127.0.0.1:{free_port()}"
    with pytest.raises(MailError, match="could not send"):
        mailer_for(dataclasses.replace(config, smtp_url=nobody)).send("a@b.example", "s", "b")
    with pytest.raises(ConfigError, match="CIVIC_SMTP_URL"):
        mailer_for(dataclasses.replace(config, smtp_url="http://mail.example"))
