"""Locating a fork: the first entry where the log differs from a tree signed earlier.

A consistency proof only says *that* a log no longer extends a checkpoint. To
say *where* it stops doing so, the verifier needs more of the earlier tree than
its root: either its leaves (an earlier export the auditor kept, compared leaf
by leaf) or more signed roots of it (the platform's stored checkpoints, searched
by bisection: the first entry that differs lies between the largest checkpoint
the log still extends and the smallest it does not).

>>> first_difference([b"a", b"b", b"c"], [b"a", b"x", b"c", b"d"])
1
>>> first_difference([b"a"], [b"a", b"b"]) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from civicdata.audit.checkpoints import Checkpoint
from civicdata.audit.merkle import root_hash


def first_difference(kept: Sequence[bytes], leaves: Sequence[bytes]) -> int | None:
    """The first index of ``kept`` whose leaf ``leaves`` lacks or replaces; ``None`` if a prefix."""
    for index, leaf in enumerate(kept):
        if index >= len(leaves) or leaves[index] != leaf:
            return index
    return None


@dataclass(frozen=True, slots=True)
class ForkRange:
    """The first differing entry is at least ``first`` and below ``below``."""

    first: int
    below: int
    checkpoint_size: int  # the smallest signed checkpoint the log no longer extends

    @property
    def exact(self) -> bool:
        return self.below - self.first == 1

    def describe(self) -> str:
        if self.exact:
            return (
                f"fork: entry {self.first} differs from the signed checkpoint of size "
                f"{self.checkpoint_size}: the history was rewritten from there"
            )
        return (
            f"fork: the log no longer extends the signed checkpoint of size {self.checkpoint_size};"
            f" the first differing entry is between {self.first} and {self.below - 1}"
        )


def locate_fork(leaves: Sequence[bytes], checkpoints: Sequence[Checkpoint]) -> ForkRange | None:
    """Bisect over signed checkpoints (sorted by size) for the first one ``leaves`` do not extend.

    Once the log differs from a checkpoint it differs from every larger one, so
    the answer is a boundary found in O(log n) root computations.
    """
    usable = sorted((c for c in checkpoints if c.size <= len(leaves)), key=lambda c: c.size)
    low, high = 0, len(usable)  # usable[:low] are extended, usable[high:] are not
    while low < high:
        middle = (low + high) // 2
        if root_hash(leaves[: usable[middle].size]) == usable[middle].root:
            low = middle + 1
        else:
            high = middle
    if low == len(usable):
        return None
    first = usable[low - 1].size if low else 0
    return ForkRange(first=first, below=usable[low].size, checkpoint_size=usable[low].size)
