"""The one function through which every capability records what happened.

:func:`record_event` appends an entry to the tamper-evident audit log in the
caller's transaction: the entry gets the next gapless index under the lock of
the single head row, is hashed as an RFC 6962 leaf and signed with the
platform's Ed25519 key. Denied and failed requests use
:func:`record_event_committed`, which commits in a transaction of its own so
the entry survives the request's rollback.

Entries carry pseudonymous ids, client ids, datasets, purposes, decisions and
costs, never personal data or secrets.
"""

from civicdata.audit.log import FORBIDDEN_KEYS, record_event, record_event_committed

__all__ = ["FORBIDDEN_KEYS", "record_event", "record_event_committed"]
