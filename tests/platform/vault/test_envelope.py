"""The ciphertext format and its associated data."""

from __future__ import annotations

import pytest

from civicdata.vault import DecryptionError, associated_data, open_sealed, seal
from civicdata.vault.keyring import KeyringError, KeyUnavailableError, LocalKeyring

KEY = bytes(range(32))
NONCE = bytes(range(100, 112))


def test_round_trip() -> None:
    ad = associated_data("c-1", "trips", "records", "b-1")
    assert open_sealed(KEY, seal(KEY, b"payload", ad), ad) == b"payload"


def test_known_answer_pins_the_on_disk_format() -> None:
    """If this changes, every stored ciphertext becomes unreadable: bump FORMAT_VERSION."""
    ad = associated_data("c-1", "citizens", "email", "c-1")
    assert ad == b"civic/v1\x00c-1\x00citizens\x00email\x00c-1"
    blob = seal(KEY, b"ana@example.org", ad, nonce=NONCE)
    assert blob[0] == 1 and blob[1:13] == NONCE and len(blob) == 1 + 12 + 15 + 16
    assert (
        blob.hex()
        == (
            "01" + NONCE.hex() + "2975bf261c9137f34e0e3ac6b5170d"  # ciphertext (15 bytes)
            "b20d3e8537d8e78f182ee4871cd63d83"  # GCM tag
        )
    )
    assert open_sealed(KEY, bytes.fromhex(blob.hex()), ad) == b"ana@example.org"


def test_nonces_are_random_and_96_bits() -> None:
    ad = associated_data("c-1", "t", "f", "r")
    a, b = seal(KEY, b"x", ad), seal(KEY, b"x", ad)
    assert a[1:13] != b[1:13]
    with pytest.raises(ValueError, match="96 bits"):
        seal(KEY, b"x", ad, nonce=b"short")


@pytest.mark.parametrize(
    "other",
    [
        ("c-2", "citizens", "email", "c-1"),
        ("c-1", "accounts", "email", "c-1"),
        ("c-1", "citizens", "name", "c-1"),
        ("c-1", "citizens", "email", "c-2"),
    ],
    ids=["citizen", "table", "field", "record"],
)
def test_ciphertext_moved_elsewhere_fails(other: tuple[str, str, str, str]) -> None:
    blob = seal(KEY, b"secret", associated_data("c-1", "citizens", "email", "c-1"))
    with pytest.raises(DecryptionError):
        open_sealed(KEY, blob, associated_data(*other))


@pytest.mark.parametrize("position", [0, 1, 13, -1])
def test_any_tampered_byte_fails(position: int) -> None:
    ad = associated_data("c-1", "t", "f", "r")
    blob = bytearray(seal(KEY, b"secret", ad))
    blob[position] ^= 0x01
    with pytest.raises(DecryptionError):
        open_sealed(KEY, bytes(blob), ad)


def test_wrong_key_fails() -> None:
    ad = associated_data("c-1", "t", "f", "r")
    with pytest.raises(DecryptionError):
        open_sealed(bytes(32), seal(KEY, b"secret", ad), ad)


def test_associated_data_rejects_separator_injection() -> None:
    with pytest.raises(ValueError, match="NUL"):
        associated_data("c-1\x00x", "t", "f", "r")


def test_keyring_round_trip_add_and_destroy(tmp_path) -> None:
    ring = LocalKeyring.generate()
    path = tmp_path / "ring.json"
    ring.save(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    loaded = LocalKeyring.load(path)
    first = loaded.preferred_primary()
    wrapped = loaded.wrap(first, b"k" * 32, b"ad")
    added = loaded.create_key()
    assert added != first and added in LocalKeyring.load(path).key_ids()
    assert loaded.unwrap(first, wrapped, b"ad") == b"k" * 32
    with pytest.raises(KeyringError, match="does not unwrap"):
        loaded.unwrap(added, wrapped, b"ad")
    loaded.destroy(first)
    assert LocalKeyring.load(path).key_ids() == [added]
    with pytest.raises(KeyUnavailableError, match="not in the keyring"):
        loaded.unwrap(first, wrapped, b"ad")


def test_a_running_keyring_sees_keys_added_to_its_file(tmp_path) -> None:
    path = tmp_path / "ring.json"
    LocalKeyring.generate().save(path)
    running = LocalKeyring.load(path)
    added = LocalKeyring.load(path).create_key()  # another process, e.g. `civic keys add`
    assert added not in running.key_ids()
    assert running.has_key(added)
    assert running.unwrap(added, running.wrap(added, b"k", b"ad"), b"ad") == b"k"


@pytest.mark.parametrize(
    "text",
    [
        '{"keys": []}',
        "not json",
        '{"primary": "a", "keys": [{"id": "a", "key": "AAAA", "created": ""}]}',
    ],
)
def test_malformed_keyring_is_a_clear_error(text: str) -> None:
    with pytest.raises(KeyringError):
        LocalKeyring.from_json(text, "test")
