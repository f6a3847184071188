"""Locale negotiation and per-locale formatting (civicdata.i18n), without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask, render_template_string

from civicdata.i18n import (
    COOKIE,
    LOCALES,
    current_locale,
    duration,
    gettext,
    init_i18n,
    iso_duration,
    locale_names,
    month,
    number,
    period,
    supported,
    when,
)
from consent.purposes import LANGUAGES


def _app(remembered: str | None = None) -> Flask:
    app = Flask("civicdata.app")  # its root holds translations/, as the real app's does
    init_i18n(app, remembered=lambda: remembered)
    return app


def _locale(app: Flask, path: str = "/", **kwargs: object) -> str:
    with app.test_request_context(path, **kwargs):  # type: ignore[arg-type]
        return current_locale()


def test_the_portal_speaks_the_notice_languages() -> None:
    assert LOCALES == LANGUAGES == ("en", "ca", "es")
    assert locale_names() == {"en": "English", "ca": "Català", "es": "Español"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ca", "ca"),
        ("ca-ES,ca;q=0.9,en;q=0.5", "ca"),
        ("es-ES,es;q=0.9", "es"),
        ("es-MX", "es"),
        ("fr-FR,fr;q=0.9,es;q=0.5,en;q=0.3", "es"),
        ("fr-FR,de;q=0.8", "en"),
        ("", "en"),
    ],
)
def test_accept_language_is_negotiated(header: str, expected: str) -> None:
    assert _locale(_app(), headers={"Accept-Language": header}) == expected


def test_the_order_of_preference() -> None:
    browser = {"Accept-Language": "es"}
    app = _app()
    cookie = {"Cookie": f"{COOKIE}=ca", **browser}
    assert _locale(app, headers=cookie) == "ca"  # the switch's cookie beats the browser
    assert _locale(app, "/?ui_locales=ca%20en", headers=browser) == "ca"  # an OIDC client's hint
    assert _locale(app, "/?ui_locales=fr", headers=browser) == "es"
    assert _locale(app, "/?lang=en", headers=cookie) == "en"  # an explicit choice on the page
    remembered = _app(remembered="es")
    assert _locale(remembered, headers={"Cookie": f"{COOKIE}=ca"}) == "es"  # the account wins
    assert _locale(remembered, "/?lang=ca") == "ca"
    form = {"data": {"lang": "es"}, "method": "POST"}
    assert _locale(app, **form) == "es"


def test_nonsense_is_ignored() -> None:
    app = _app(remembered="xx")
    assert _locale(app, "/?lang=klingon", headers={"Cookie": f"{COOKIE}=fr"}) == "en"
    assert supported("ca-ES") == "ca" and supported("es_419") == "es"
    assert supported("cat") is None and supported("") is None and supported(None) is None


def test_api_requests_stay_english() -> None:
    app = _app(remembered="ca")
    assert _locale(app, "/api/v1/datasets", headers={"Accept-Language": "ca"}) == "en"


def test_outside_a_request_everything_is_english() -> None:
    assert current_locale() == "en"
    assert gettext("Sign in") == "Sign in"
    assert iso_duration("P30D") == "30 days"


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        ("P30D", "en", "30 days"),
        ("P30D", "ca", "30 dies"),
        ("P30D", "es", "30 días"),
        ("P1D", "en", "1 day"),
        ("P1Y", "en", "1 year"),
        ("P2Y", "ca", "2 anys"),
        ("P6M", "es", "6 meses"),
        ("P1Y6M", "en", "1 year and 6 months"),
        ("P1Y6M", "es", "1 año y 6 meses"),
        ("P2W", "ca", "2 setmanes"),
        ("calendar-month", "en", "calendar-month"),  # not a duration: left as it is
    ],
)
def test_iso_durations_in_words(value: str, locale: str, expected: str) -> None:
    assert iso_duration(value, locale) == expected


def test_time_spans_in_their_largest_exact_unit() -> None:
    assert duration(timedelta(hours=48), "en") == "2 days"
    assert duration(timedelta(hours=36), "en") == "36 hours"
    assert duration(timedelta(minutes=60), "es") == "1 hora"
    assert duration(timedelta(minutes=90), "ca") == "90 minuts"


def test_numbers_dates_and_periods_follow_the_request() -> None:
    app = _app()
    moment = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    expected = {
        "en": ("1,234.5", "0.000001", "Mar 1, 2026", "March 2026", "30 days", "calendar month"),
        "ca": ("1.234,5", "0,000001", "1 de març", "març del 2026", "30 dies", "mes natural"),
        "es": ("1.234,5", "0,000001", "1 mar 2026", "marzo de 2026", "30 días", "mes natural"),
    }
    for code, (big, tiny, day, whole_month, days, calendar) in expected.items():
        with app.test_request_context("/", headers={"Accept-Language": code}):
            assert number(Decimal("1234.5")) == big
            assert number(Decimal("1E-6")) == tiny
            assert number("0.5") == ("0.5" if code == "en" else "0,5")
            assert number(None) == "—" and number(Decimal("4.0")) == "4"
            assert day in when(moment) and day in when(date(2026, 3, 1))
            assert when(moment.isoformat()) == when(moment)
            assert month("2026-03") == whole_month
            assert period("P30D") == days and period("calendar-month") == calendar


def test_templates_get_the_filters_and_the_page_language() -> None:
    app = _app()
    source = (
        "{{ current_locale }}|{{ 'P30D'|period }}|{{ 0.5|number }}|{{ _('Sign in') }}"
        "|{{ locale_names['es'] }}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert render_template_string(source) == "es|30 días|0,5|Iniciar sesión|Español"
    with app.test_request_context("/", headers={"Accept-Language": "ca"}):
        assert render_template_string(source) == "ca|30 dies|0,5|Iniciar la sessió|Español"
