"""Citizens' records, stored as encrypted fixed-width blocks (see :mod:`.codec`, :mod:`.store`)."""

from civicdata.records.codec import CodecError, LayoutMismatchError, RecordCodec, layout_of
from civicdata.records.store import (
    MissingKeyError,
    records_for_citizen,
    scan_dataset,
    write_blocks,
)

__all__ = [
    "CodecError",
    "LayoutMismatchError",
    "MissingKeyError",
    "RecordCodec",
    "layout_of",
    "records_for_citizen",
    "scan_dataset",
    "write_blocks",
]
