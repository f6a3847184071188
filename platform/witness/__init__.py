"""A transparency-log witness speaking C2SP ``tlog-witness``, and the platform's client.

A witness (``civic witness serve``, run by another organisation) keeps, per log
origin, the latest checkpoint it cosigned; it cosigns a newer one only after
verifying the log's signature and an RFC 6962 consistency proof from the one
it holds, so it refuses a fork. Its Ed25519 cosignatures (C2SP
``tlog-cosignature``) are note signature lines anyone can check with its
public key. The platform submits each new checkpoint to the witnesses it is
configured with and stores what they return.
"""
