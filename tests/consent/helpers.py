"""Shared helpers of the consent tests: a fixed clock origin and notice rewording."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from consent.purposes import NoticeText, Purpose

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def reworded(purpose: Purpose, *, material: bool, suffix: str = " (revised)") -> Purpose:
    """``purpose`` with a changed English notice, flagged material or not."""
    english = purpose.notice["en"]
    notice = {**purpose.notice, "en": NoticeText(english.title, english.text + suffix)}
    return replace(purpose, notice=notice, material_change=material)
