"""Signing keys separated by use, with a published history of every public key.

Four uses, each with its own key: ``audit`` (log entries and checkpoints),
``receipts`` (consent and erasure receipts), ``releases`` (DP release
documents), all Ed25519, and ``oidc`` (ID tokens, RS256). Every signature
carries its key id (``kid``), which names the use, so a verifier picks the key
from the history and rejects a key of another use.

- :mod:`civicdata.signing.material` — the private key files of one node;
- :mod:`civicdata.signing.history` — the published history, as verifiers read it;
- :mod:`civicdata.signing.store` — the running platform's keys: which is current
  (from the database, shared by every node), signing and rotation.
"""
