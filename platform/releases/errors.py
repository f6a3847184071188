"""What can go wrong with a release request; no message ever carries data."""

from __future__ import annotations

from policies.evaluate import Decision


class ReleaseError(Exception):
    """Base of the release service's errors."""


class InvalidQuery(ReleaseError):
    """The query is malformed or does not fit the catalog; ``errors`` maps field -> messages."""

    def __init__(self, errors: dict[str, object]) -> None:
        super().__init__("the query is not valid")
        self.errors = errors


class Denied(ReleaseError):
    """The policy set denies the request; ``decision`` explains why."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.explanation)
        self.decision = decision


class ReleaseNotComputed(ReleaseError):
    """The release failed after its budget was reserved; ``charged`` says if it was spent."""

    def __init__(self, charged: bool) -> None:
        what = "was charged" if charged else "was given back"
        super().__init__(f"the release could not be computed; the reserved budget {what}")
        self.charged = charged
