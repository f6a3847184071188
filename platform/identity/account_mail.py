"""The mails that verify an address and reset a password, and who gets which.

Registration and reset requests answer the same whether or not an account
exists for the address; what differs is only the mail that the address's
owner receives (a link, or a note that there is no account or already one),
so each request sends exactly one mail and costs about the same time.

Each mail is written in the language of the page that caused it (the
request's locale, :mod:`civicdata.i18n`); outside a request, in English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from civicdata.config import Config
from civicdata.i18n import current_locale, duration, gettext
from civicdata.identity.account_tokens import AccountTokens
from civicdata.identity.models import Account
from civicdata.mail import Mailer, mailer_for


def _signature() -> str:
    return "\n-- \n" + gettext(
        "Civic Data Platform of your city. If you did not ask for this, ignore this mail."
    )


@dataclass(frozen=True)
class AccountMail:
    mailer: Mailer
    public_url: str
    verify: AccountTokens
    reset: AccountTokens

    @classmethod
    def from_config(cls, config: Config, mailer: Mailer | None = None) -> AccountMail:
        return cls(
            mailer=mailer or mailer_for(config),
            public_url=config.public_url,
            verify=AccountTokens(
                config.secret_key, "verify", timedelta(hours=config.verify_token_hours)
            ),
            reset=AccountTokens(
                config.secret_key, "reset", timedelta(minutes=config.reset_token_minutes)
            ),
        )

    def _send(self, to: str, subject: str, text: str) -> None:
        self.mailer.send(to, subject, text + _signature(), language=current_locale())

    def send_verification(self, to: str, account: Account) -> None:
        link = f"{self.public_url}/verify/{self.verify.issue(account)}"
        text = gettext(
            "Confirm the address of your resident account by opening this link:\n\n"
            "%(link)s\n\nIt works once, for %(lifetime)s.",
            link=link,
            lifetime=duration(self.verify.lifetime),
        )
        self._send(to, gettext("Confirm your email address"), text)

    def send_already_registered(self, to: str) -> None:
        login, reset = f"{self.public_url}/login", f"{self.public_url}/reset"
        text = gettext(
            "Someone (probably you) tried to register this address again. You already have "
            "an account: sign in at %(login)s, or set a new password at %(reset)s.",
            login=login,
            reset=reset,
        )
        self._send(to, gettext("You already have an account"), text)

    def send_reset(self, to: str, account: Account) -> None:
        link = f"{self.public_url}/reset/{self.reset.issue(account)}"
        text = gettext(
            "Set a new password for your account by opening this link:\n\n%(link)s\n\n"
            "It works once, for %(lifetime)s. Your password stays as it is until you "
            "choose a new one.",
            link=link,
            lifetime=duration(self.reset.lifetime),
        )
        self._send(to, gettext("Set a new password"), text)

    def send_no_account(self, to: str) -> None:
        register = f"{self.public_url}/register"
        text = gettext(
            "Someone (probably you) asked to reset the password of an account with this "
            "address, but there is none. You can register at %(register)s.",
            register=register,
        )
        self._send(to, gettext("Set a new password"), text)
