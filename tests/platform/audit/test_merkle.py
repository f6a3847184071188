"""RFC 9162 proofs: every tree size up to 64, every index, every pair of sizes."""

from __future__ import annotations

import hashlib

import pytest

from civicdata.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

MAX = 64
LEAVES = [leaf_hash(f"entry {i}".encode()) for i in range(MAX)]


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH straight from the RFC's recursive definition (independent of root_hash's stack)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def test_hash_prefixes_follow_rfc_6962() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert root_hash([]) == EMPTY_ROOT


def test_known_root_of_the_rfc_6962_reference_vector() -> None:
    """Root of the 8-leaf tree used by Certificate Transparency's reference test vectors."""
    inputs = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ]
    root = root_hash([leaf_hash(d) for d in inputs])
    assert root.hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


@pytest.mark.parametrize("size", range(1, MAX + 1))
def test_root_matches_the_recursive_definition(size: int) -> None:
    assert root_hash(LEAVES[:size]) == reference_root(LEAVES[:size])


@pytest.mark.parametrize("size", range(1, MAX + 1))
def test_inclusion_proofs_verify_and_wrong_ones_are_rejected(size: int) -> None:
    leaves = LEAVES[:size]
    root = root_hash(leaves)
    bad_root = leaf_hash(b"other")
    for index in range(size):
        proof = inclusion_proof(index, leaves)
        assert verify_inclusion(index, size, leaves[index], proof, root)
        assert not verify_inclusion(index, size, leaves[index], proof, bad_root)
        assert not verify_inclusion(index, size, leaf_hash(b"forged"), proof, root)
        assert not verify_inclusion(size, size, leaves[index], proof, root)
        if size > 1:
            other = (index + 1) % size
            assert not verify_inclusion(other, size, leaves[index], proof, root)
        if proof:
            tampered = [*proof[:-1], bytes(32)]
            assert not verify_inclusion(index, size, leaves[index], tampered, root)
            assert not verify_inclusion(index, size, leaves[index], proof[:-1], root)
        assert not verify_inclusion(index, size, leaves[index], [*proof, bytes(32)], root)


@pytest.mark.parametrize("second", range(1, MAX + 1))
def test_consistency_proofs_for_every_pair_of_sizes(second: int) -> None:
    new_root = root_hash(LEAVES[:second])
    for first in range(1, second + 1):
        old_root = root_hash(LEAVES[:first])
        proof = consistency_proof(first, LEAVES[:second])
        assert verify_consistency(first, second, old_root, new_root, proof)
        if first < second:
            assert not verify_consistency(first, second, leaf_hash(b"fork"), new_root, proof)
            assert not verify_consistency(first, second, old_root, leaf_hash(b"fork"), proof)
            tampered = [*proof[:-1], bytes(32)]
            assert not verify_consistency(first, second, old_root, new_root, tampered)
            assert not verify_consistency(first, second, old_root, new_root, [])


def test_a_forked_history_is_not_consistent() -> None:
    forked = [*LEAVES[:10], leaf_hash(b"rewritten"), *LEAVES[11:20]]
    proof = consistency_proof(12, forked)
    assert not verify_consistency(12, 20, root_hash(LEAVES[:12]), root_hash(forked), proof)
