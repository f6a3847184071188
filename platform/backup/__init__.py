"""Backups that never hold a key and never bring an erased citizen back.

- :mod:`civicdata.backup.database` — copying the database to a file and back
  (``pg_dump``/``pg_restore`` in custom format; SQLite's online backup API);
- :mod:`civicdata.backup.bundle` — the backup file: that copy and a manifest
  with the signed audit checkpoint taken with it;
- :mod:`civicdata.backup.restore` — restoring, then carrying over the audit log
  and key history written since the backup and replaying every erasure in it.

A backup holds what the database holds: wrapped data keys and public signing
keys, never master keys, HSM contents or private signing keys (those live in
the keys directory or the HSM, backed up separately; see docs/operations.md).
"""
