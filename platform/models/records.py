"""Personal records, stored as encrypted per-citizen blocks.

A block holds a batch of one citizen's records of one dataset, packed as
fixed-width rows (see :mod:`civicdata.records.codec`) and sealed with the
citizen's data key. The release hot path scans blocks of one dataset, unwraps
each citizen's key once and decrypts one block per batch rather than one
ciphertext per record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from civicdata.db import Base, utcnow


class RecordBlock(Base):
    __tablename__ = "record_blocks"
    __table_args__ = (
        Index("ix_record_blocks_dataset_citizen", "dataset", "citizen_id"),
        Index("ix_record_blocks_dataset_bucket_citizen", "dataset", "bucket", "citizen_id"),
        Index("ix_record_blocks_dataset_shard_bucket", "dataset", "shard", "bucket"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    citizen_id: Mapped[str] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), index=True
    )
    dataset: Mapped[str] = mapped_column(String(64))
    layout: Mapped[str] = mapped_column(String(16))
    # The time bucket (first month, months since year 0) all the block's records
    # fall in; NULL: any time (blocks written before buckets, or a dataset
    # without one), read by every scan of the dataset.
    bucket: Mapped[int | None] = mapped_column(Integer)
    # The citizen's record shard: a keyed hash of their id (civicdata.vault.record_shards),
    # so a release's shard task reads whole citizens and nothing else.
    shard: Mapped[int] = mapped_column(Integer)
    n_records: Mapped[int] = mapped_column(Integer)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
