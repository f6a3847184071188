"""Record shards: which shard of citizens a citizen's records and data key belong to.

A citizen's shard is HMAC-SHA256, under the vault's blind-index key, of the
citizen id (kind ``record-shard``), modulo :data:`RECORD_SHARDS`. It is stored
beside every record block and data key, so a release's shard task reads
exactly the blocks and keys of its shards, and every citizen's records are in
exactly one shard. Without the key the shard cannot be derived from the id
(nor the id from the shard): it says nothing about who is in it. The number is
fixed: changing it would mean recomputing every stored shard.

>>> from civicdata.vault.blind_index import BlindIndex
>>> shard = record_shard(BlindIndex(bytes(32)), "c-1")
>>> 0 <= shard < RECORD_SHARDS
True
>>> partition(4)[0][:3]
(0, 4, 8)
"""

from __future__ import annotations

from civicdata.vault.blind_index import BlindIndex

RECORD_SHARDS = 256
KIND = "record-shard"


def record_shard(index: BlindIndex, citizen_id: str) -> int:
    """The record shard of ``citizen_id``."""
    return int.from_bytes(index.digest(KIND, citizen_id)[:8], "big") % RECORD_SHARDS


def partition(tasks: int) -> list[tuple[int, ...]]:
    """Every shard, dealt round-robin into ``tasks`` groups (one per shard task)."""
    tasks = max(1, min(tasks, RECORD_SHARDS))
    return [tuple(range(start, RECORD_SHARDS, tasks)) for start in range(tasks)]
