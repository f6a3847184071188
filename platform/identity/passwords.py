"""Password hashing with argon2id, parameters from the configuration.

Verification reports whether the stored hash should be replaced, so that a
change of parameters reaches every account at its next sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from civicdata.config import Config


@dataclass(frozen=True)
class Verification:
    ok: bool
    new_hash: str | None = None  # set when the stored hash used old parameters


class Passwords:
    """Hash and verify passwords; unknown accounts cost the same as known ones."""

    def __init__(self, config: Config) -> None:
        self._hasher = PasswordHasher(
            time_cost=config.argon2_time_cost,
            memory_cost=config.argon2_memory_kib,
            parallelism=1,
            type=Type.ID,
        )
        self._dummy = self._hasher.hash("not a password of anyone")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> Verification:
        """Check ``password`` against ``stored`` (``None``: burn the same time, fail)."""
        try:
            self._hasher.verify(stored or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verification(ok=False)
        if stored is None:
            return Verification(ok=False)
        if self._hasher.check_needs_rehash(stored):
            return Verification(ok=True, new_hash=self._hasher.hash(password))
        return Verification(ok=True)
