"""consent: purposes, consent records and their life cycle, signed receipts, eligibility.

- :mod:`consent.purposes` — the declared purposes and their notices.
- :mod:`consent.tables` — the notice-version and append-only consent-event tables.
- :mod:`consent.current` — the ``consent_current`` projection (latest event per
  subject and purpose), kept in the same transaction as the log; rebuilding it.
- :mod:`consent.notices` — publishing notice versions when a notice's text changes.
- :mod:`consent.records` — giving and withdrawing consent, history.
- :mod:`consent.bulk` — the same for many citizens at once (demo city, imports).
- :mod:`consent.status` — a citizen's state per purpose (dashboard, apps).
- :mod:`consent.receipts` — Kantara-style receipts signed with Ed25519, and verifying them.
- :mod:`consent.eligibility` — whose records a purpose may use at an instant.
- :mod:`consent.schema_errors` — validation messages of the city's files, one per line.
- :mod:`consent.append_only` — an engine guard refusing UPDATE/DELETE on consent history.
"""
