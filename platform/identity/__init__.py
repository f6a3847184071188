"""Accounts, passwords, portal sessions and login throttling.

Citizens, analysts, auditors and operators sign in to the portal with an email
and a password. The email is never stored in clear: accounts are found through
the keyed blind index. Portal sessions live in the database, so signing out or
changing a password ends them on every server process.
"""
