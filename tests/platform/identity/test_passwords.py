"""argon2id hashing with the configured parameters, and rehash when they change."""

from __future__ import annotations

import dataclasses

from civicdata.identity.passwords import Passwords


def test_hash_is_argon2id_with_configured_parameters(config) -> None:
    hashed = Passwords(config).hash("a long enough password")
    assert hashed.startswith("$argon2id$")
    assert f"m={config.argon2_memory_kib},t={config.argon2_time_cost}" in hashed


def test_verify_accepts_right_and_refuses_wrong_and_unknown(config) -> None:
    passwords = Passwords(config)
    hashed = passwords.hash("a long enough password")
    assert passwords.verify(hashed, "a long enough password").ok
    assert not passwords.verify(hashed, "a long enough passworD").ok
    assert not passwords.verify(None, "a long enough password").ok
    assert not passwords.verify("not a hash", "a long enough password").ok


def test_changed_parameters_ask_for_a_rehash(config) -> None:
    old = Passwords(config).hash("a long enough password")
    stronger = Passwords(dataclasses.replace(config, argon2_time_cost=config.argon2_time_cost + 1))
    result = stronger.verify(old, "a long enough password")
    assert result.ok and result.new_hash and result.new_hash != old
    assert stronger.verify(result.new_hash, "a long enough password").new_hash is None
