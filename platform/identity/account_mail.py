"""The mails that verify an address and reset a password, and who gets which.

Registration and reset requests answer the same whether or not an account
exists for the address; what differs is only the mail that the address's
owner receives (a link, or a note that there is no account or already one),
so each request sends exactly one mail and costs about the same time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from civicdata.config import Config
from civicdata.identity.account_tokens import AccountTokens
from civicdata.identity.models import Account
from civicdata.mail import Mailer, mailer_for

SIGNATURE = (
    "\n-- \nCivic Data Platform of your city. If you did not ask for this, ignore this mail."
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

    def send_verification(self, to: str, account: Account) -> None:
        link = f"{self.public_url}/verify/{self.verify.issue(account)}"
        hours = int(self.verify.lifetime.total_seconds() // 3600)
        self.mailer.send(
            to,
            "Confirm your email address",
            f"Confirm the address of your resident account by opening this link:\n\n{link}\n\n"
            f"It works once, for {hours} hours." + SIGNATURE,
        )

    def send_already_registered(self, to: str) -> None:
        self.mailer.send(
            to,
            "You already have an account",
            "Someone (probably you) tried to register this address again. You already "
            f"have an account: sign in at {self.public_url}/login, or set a new password "
            f"at {self.public_url}/reset." + SIGNATURE,
        )

    def send_reset(self, to: str, account: Account) -> None:
        link = f"{self.public_url}/reset/{self.reset.issue(account)}"
        minutes = int(self.reset.lifetime.total_seconds() // 60)
        self.mailer.send(
            to,
            "Set a new password",
            f"Set a new password for your account by opening this link:\n\n{link}\n\n"
            f"It works once, for {minutes} minutes. Your password stays as it is "
            "until you choose a new one." + SIGNATURE,
        )

    def send_no_account(self, to: str) -> None:
        self.mailer.send(
            to,
            "Set a new password",
            "Someone (probably you) asked to reset the password of an account with this "
            f"address, but there is none. You can register at {self.public_url}/register."
            + SIGNATURE,
        )
