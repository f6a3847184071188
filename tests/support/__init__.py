"""Helpers shared by tests (live servers, browsers, tokens)."""
