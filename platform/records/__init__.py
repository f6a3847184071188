"""Citizens' records, stored as encrypted fixed-width blocks (:mod:`.codec`, :mod:`.store`, :mod:`.buckets`)."""

from civicdata.records.codec import CodecError, LayoutMismatchError, RecordCodec, layout_of
from civicdata.records.store import (
    MisplacedBlockError,
    MissingKeyError,
    records_for_citizen,
    scan_dataset,
    write_blocks,
)

__all__ = [
    "CodecError",
    "LayoutMismatchError",
    "MisplacedBlockError",
    "MissingKeyError",
    "RecordCodec",
    "layout_of",
    "records_for_citizen",
    "scan_dataset",
    "write_blocks",
]
