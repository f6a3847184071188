"""Master keys in a hardware security module, through PKCS#11 (``python-pkcs11``).

Master keys are generated inside the token as AES-256 keys that are sensitive
and not extractable; the platform only asks the token to encrypt and decrypt
key-encryption keys with AES-GCM (associated data included), so master-key
material never enters this process. Wrapped keys use the same format as
:func:`civicdata.vault.envelope.seal`. A token that cannot be reached raises
:class:`KeyUnavailableError` (503 for requests); the session is re-opened on
the next call.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11.exceptions import NoSuchKey, PKCS11Error, UserAlreadyLoggedIn
from pkcs11.mechanisms import GCMParams

from civicdata.vault.envelope import FORMAT_VERSION, NONCE_BYTES
from civicdata.vault.keyring import KeyringError, KeyUnavailableError, new_key_id

if TYPE_CHECKING:
    from civicdata.config import Config

T = TypeVar("T")
KEY_PREFIX = "mk-"
# Sensitive, never extractable, kept on the token, usable only to encrypt/decrypt.
MASTER_KEY_TEMPLATE = {
    Attribute.TOKEN: True,
    Attribute.PRIVATE: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.MODIFIABLE: False,
}
# Failures that say nothing about the token's health: the data is wrong.
_BAD_DATA = (pkcs11.exceptions.EncryptedDataInvalid, pkcs11.exceptions.EncryptedDataLenRange)


class Pkcs11KeyManager:
    """AES-256 master keys held in one PKCS#11 token, found by label."""

    name = "pkcs11"

    def __init__(self, module: Path, token_label: str, pin: str) -> None:
        self._module = module
        self._token_label = token_label
        self._pin = pin
        self._lock = threading.Lock()
        self._session: Any = None
        self._keys: dict[str, Any] = {}

    @classmethod
    def from_config(cls, config: Config) -> Pkcs11KeyManager:
        if not (config.pkcs11_module and config.pkcs11_token_label and config.pkcs11_pin):
            raise KeyringError(
                "CIVIC_KEY_MANAGER=pkcs11 needs CIVIC_PKCS11_MODULE, CIVIC_PKCS11_TOKEN_LABEL "
                "and CIVIC_PKCS11_PIN or CIVIC_PKCS11_PIN_FILE"
            )
        return cls(config.pkcs11_module, config.pkcs11_token_label, config.pkcs11_pin)

    # --- the token session -------------------------------------------------
    def _call(self, what: str, action: Callable[[Any], T]) -> T:
        """Run ``action(session)`` under the lock; an unreachable token is a 503."""
        with self._lock:
            try:
                if self._session is None:
                    self._session = self._open()
                return action(self._session)
            except _BAD_DATA:
                raise KeyringError(
                    f"the HSM refused to {what}: the wrapped key is invalid"
                ) from None
            except (PKCS11Error, RuntimeError) as exc:
                self._close()
                raise KeyUnavailableError(
                    f"HSM token {self._token_label!r} unavailable to {what}: "
                    f"{type(exc).__name__} {exc}"
                ) from exc

    def _open(self) -> Any:
        token = pkcs11.lib(str(self._module)).get_token(token_label=self._token_label)
        try:
            return token.open(rw=True, user_pin=self._pin)
        except UserAlreadyLoggedIn:  # the login is per process: another manager made it
            return token.open(rw=True)

    def _close(self) -> None:
        session, self._session, self._keys = self._session, None, {}
        if session is not None:
            with contextlib.suppress(PKCS11Error):  # already gone with the token
                session.close()

    def _key(self, session: Any, key_id: str) -> Any:
        key = self._keys.get(key_id)
        if key is None:
            try:
                key = session.get_key(
                    object_class=ObjectClass.SECRET_KEY, key_type=KeyType.AES, label=key_id
                )
            except NoSuchKey:
                raise KeyUnavailableError(
                    f"master key {key_id!r} is not in HSM token {self._token_label!r}", key_id
                ) from None
            self._keys[key_id] = key
        return key

    # --- the KeyManager interface -----------------------------------------
    def key_ids(self) -> list[str]:
        def labels(session: Any) -> list[str]:
            found = session.get_objects(
                {Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.KEY_TYPE: KeyType.AES}
            )
            return sorted(
                label for key in found if (label := key.label or "").startswith(KEY_PREFIX)
            )

        return self._call("list master keys", labels)

    def has_key(self, key_id: str) -> bool:
        try:
            self._call("find a master key", lambda session: self._key(session, key_id))
        except KeyUnavailableError as exc:
            if exc.key_id is None:
                raise  # the token itself is unreachable
            return False
        return True

    def preferred_primary(self) -> str | None:
        """The newest master key (ids sort by creation time)."""
        ids = self.key_ids()
        return ids[-1] if ids else None

    def create_key(self) -> str:
        key_id = new_key_id()

        def generate(session: Any) -> None:
            self._keys[key_id] = session.generate_key(
                KeyType.AES,
                256,
                label=key_id,
                id=key_id.encode(),
                store=True,
                capabilities=MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT,
                template=MASTER_KEY_TEMPLATE,
            )

        self._call("generate a master key", generate)
        return key_id

    def destroy(self, key_id: str) -> None:
        def remove(session: Any) -> None:
            self._key(session, key_id).destroy()
            self._keys.pop(key_id, None)

        self._call(f"destroy master key {key_id}", remove)

    def wrap(self, key_id: str, plaintext: bytes, ad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._call(
            f"wrap under master key {key_id}",
            lambda session: self._key(session, key_id).encrypt(
                plaintext, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(nonce, ad)
            ),
        )
        return bytes([FORMAT_VERSION]) + nonce + sealed

    def unwrap(self, key_id: str, wrapped: bytes, ad: bytes) -> bytes:
        if len(wrapped) < 1 + NONCE_BYTES + 16 or wrapped[0] != FORMAT_VERSION:
            raise KeyringError(f"key wrapped by {key_id!r} has an unknown format")
        nonce, sealed = wrapped[1 : 1 + NONCE_BYTES], wrapped[1 + NONCE_BYTES :]
        return self._call(
            f"unwrap under master key {key_id}",
            lambda session: self._key(session, key_id).decrypt(
                sealed, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(nonce, ad)
            ),
        )
