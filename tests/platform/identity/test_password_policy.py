"""NIST SP 800-63B password rules: length, common and disguised passwords, own email and name."""

from __future__ import annotations

import pytest

from civicdata.identity.password_policy import (
    MIN_LENGTH,
    assess,
    common_passwords,
    is_common,
    password_problem,
    personal_words,
)

PERSONAL = personal_words("pau.casals@example.org", "Pau Casals")


def test_the_shipped_list_holds_thousands_of_common_passwords() -> None:
    common = common_passwords()
    assert len(common) >= 5000
    assert {"123456", "password", "qwerty", "letmein"} <= common


@pytest.mark.parametrize(
    "password",
    [
        "1234567890",  # accepted before: ten characters
        "123456789012345",
        "passwordpasswordpassword",  # repetition
        "P@ssw0rd12345678",  # l33t, case and added digits
        "Qwerty!!!!!!!!!!!!",
        "LETMEIN-LETMEIN-LETMEIN",
    ],
)
def test_common_passwords_and_their_disguises_are_refused(password: str) -> None:
    assert password_problem(password, PERSONAL) is not None


def test_passwords_with_the_own_email_or_name_are_refused() -> None:
    assert password_problem("pau.casals@example.org", PERSONAL) is not None
    assert "email" in (password_problem("my name is Casals, sir!", PERSONAL) or "")
    assert password_problem("my name is Casals, sir!", []) is None


def test_length_bounds_and_guessability() -> None:
    assert "at least" in (password_problem("violin ferry", []) or "")
    assert password_problem("x" * 300, []) is not None
    assert "guess" in (password_problem("aaaaaaaaaaaaaaaaaaaa", []) or "")
    assert password_problem("qwertyuiopasdfghjkl", []) is not None  # a keyboard row


def test_long_unusual_passphrases_pass_without_composition_rules() -> None:
    for password in ("a long enough password", "violin ferry marmalade", "correct horse battery"):
        assert len(password) >= MIN_LENGTH
        assert password_problem(password, PERSONAL) is None, password


def test_the_assessment_scores_and_explains() -> None:
    weak, strong = assess("password1234567", []), assess("violin ferry marmalade", [])
    assert weak.score < 3 and not weak.acceptable and weak.label in ("very weak", "weak")
    assert strong.score >= 3 and strong.acceptable and strong.problems == []
    assert weak.suggestions  # zxcvbn's advice, shown by the meter
    assert is_common("Dragon2024") and not is_common("violin ferry marmalade")
