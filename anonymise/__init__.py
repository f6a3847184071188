"""anonymise."""
