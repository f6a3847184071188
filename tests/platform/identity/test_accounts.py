"""Accounts are found by the blind index of the email, never stored in clear."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from civicdata.citizens import erase_citizen
from civicdata.identity.accounts import (
    AccountError,
    create_staff_account,
    find_account,
    register_citizen,
)
from civicdata.identity.passwords import Passwords
from civicdata.models import Citizen

EMAIL = "Joan.Garcia@Example.org"


def _register(platform_, session, email=EMAIL, password="a long enough password"):
    return register_citizen(
        session,
        vault=platform_.vault,
        index=platform_.keys.blind_index,
        passwords=Passwords(platform_.config),
        email=email,
        password=password,
        name="Joan Garcia",
    )


def test_registration_seals_the_email_and_finds_the_account_by_blind_index(platform_) -> None:
    with platform_.sessions() as session:
        account = _register(platform_, session)
        session.commit()
        citizen = session.get(Citizen, account.citizen_id)
        assert citizen.registered and citizen.email_enc is not None
        cipher = platform_.vault.cipher(session, citizen.id)
        assert cipher.open(citizen.email_enc, "citizens", "email", citizen.id) == EMAIL.encode()
        found = find_account(session, platform_.keys.blind_index, " joan.garcia@example.ORG ")
        assert found is not None and found.id == account.id
        for table in ("accounts", "citizens", "citizen_lookups"):
            for row in session.execute(text(f"SELECT * FROM {table}")):
                dump = repr(tuple(row)).lower()
                assert "joan" not in dump and "example.org" not in dump


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("not-an-email", "a long enough password", "email"), ("a@b.example", "short", "password")],
)
def test_bad_registration_names_the_field(platform_, email, password, field) -> None:
    with platform_.sessions() as session, pytest.raises(AccountError) as caught:
        _register(platform_, session, email=email, password=password)
    assert caught.value.field == field


def test_an_email_registers_once(platform_) -> None:
    with platform_.sessions() as session:
        _register(platform_, session)
        with pytest.raises(AccountError, match="already registered"):
            _register(platform_, session, email=EMAIL.upper())


def test_staff_accounts_check_role_and_department(platform_) -> None:
    def staff(session, role, department):
        return create_staff_account(
            session,
            index=platform_.keys.blind_index,
            passwords=Passwords(platform_.config),
            role=role,
            email=f"{role}@city.example",
            password="a long enough password",
            department=department,
            departments={"transport"},
        )

    with platform_.sessions() as session:
        assert staff(session, "analyst", "transport").department == "transport"
        for role, department, field in [
            ("analyst", None, "department"),
            ("analyst", "nowhere", "department"),
            ("auditor", "transport", "department"),
            ("citizen", None, "role"),
        ]:
            with pytest.raises(AccountError) as caught:
                staff(session, role, department)
            assert caught.value.field == field


def test_erased_citizens_have_no_account_any_more(platform_) -> None:
    with platform_.sessions() as session:
        account = _register(platform_, session)
        erase_citizen(session, platform_.vault, account.citizen_id)
        session.commit()
        assert find_account(session, platform_.keys.blind_index, EMAIL) is None
        assert session.scalars(select(Citizen)).one().erased_at is not None


def test_staff_names_are_cleaned_and_residents_have_none(platform_) -> None:
    from sqlalchemy.exc import IntegrityError

    from civicdata.identity.accounts import set_staff_name, staff_name
    from civicdata.identity.models import Account
    from tests.support.oauth import new_citizen, new_staff

    assert staff_name(" Élodie \u00a0 Martin ") == "Élodie Martin"
    for bad in ("", "   ", "x" * 121, "Ana\u200bPereira", "Ana\x00"):
        with pytest.raises(AccountError) as refused:
            staff_name(bad)
        assert refused.value.field == "name"
    resident = new_citizen(platform_, "res@example.org")
    with pytest.raises(AccountError):
        set_staff_name(resident, "Someone")
    new_staff(platform_, "operator", "op@example.org")
    with platform_.sessions() as session, pytest.raises(IntegrityError):
        session.execute(  # the database refuses a name on a resident's account too
            Account.__table__.update()
            .where(Account.id == resident.id)
            .values(display_name="Someone")
        )
