"""The portal's language: which locale a request is shown in, and per-locale formatting.

English is the source language; Catalan and Spanish have catalogues in
``platform/translations`` (``make messages`` extracts and updates them). The
locale of a request is, in order:

1. ``lang`` in the query or form, an explicit one-off choice on the page
   (the OAuth consent screen's own links and its hidden field);
2. the signed-in account's remembered choice (``accounts.locale``);
3. the choice this browser made with the language switch (the ``civic_locale``
   cookie, kept across sign-out and session expiry);
4. ``ui_locales``, the locales an OpenID Connect client asks for;
5. the browser's ``Accept-Language``; else English.

The same locale chooses the purpose notices (``consent.purposes.LANGUAGES``
lists the same three languages), so a page and the notices on it are always
in one language, and ``<html lang>`` names it.

Formatting helpers (usable in templates as filters) follow the locale:

>>> from babel.dates import format_date
>>> iso_duration("P30D", "en"), iso_duration("P1Y6M", "ca"), iso_duration("P2Y", "es")
('30 days', '1 any i 6 mesos', '2 años')
>>> duration(timedelta(hours=48), "en"), duration(timedelta(minutes=90), "ca")
('2 days', '90 minuts')
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_skeleton
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.units import format_unit
from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale, gettext, lazy_gettext, ngettext
from flask_babel import format_date as _format_date
from flask_babel import format_datetime as _format_datetime
from markupsafe import Markup
from werkzeug.wrappers import Response

from consent.purposes import LANGUAGES

__all__ = [
    "COOKIE",
    "DEFAULT_LOCALE",
    "LOCALES",
    "N_",
    "current_locale",
    "duration",
    "gettext",
    "init_i18n",
    "iso_duration",
    "lazy_gettext",
    "locale_names",
    "ngettext",
    "remember_in_cookie",
    "supported",
]

# The portal's locales are the notice languages: a page never mixes two.
LOCALES: tuple[str, ...] = LANGUAGES
DEFAULT_LOCALE = "en"
COOKIE = "civic_locale"
COOKIE_MAX_AGE = 365 * 24 * 3600
ISO_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
UNITS = (  # the largest unit that divides a duration exactly names it
    ("duration-day", 86400),
    ("duration-hour", 3600),
    ("duration-minute", 60),
    ("duration-second", 1),
)

RememberedLocale = Callable[[], str | None]


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it here (it is translated later)."""
    return message


def supported(value: str | None) -> str | None:
    """``value`` if it names a portal locale (``ca``, ``ca-ES``, ``es_ES``…), else ``None``.

    >>> supported("ca-ES"), supported("es_ES"), supported("fr"), supported(None)
    ('ca', 'es', None, None)
    """
    primary = re.split(r"[-_]", (value or "").strip())[0].lower()
    return primary if primary in LOCALES else None


def locale_names() -> dict[str, str]:
    """Each locale named in its own language, for the switch: never translated.

    >>> locale_names()
    {'en': 'English', 'ca': 'Català', 'es': 'Español'}
    """
    names = {}
    for code in LOCALES:
        name = Locale.parse(code).get_display_name(code) or code
        names[code] = name[:1].upper() + name[1:]
    return names


def _select(remembered: RememberedLocale) -> str:
    if not has_request_context():
        return DEFAULT_LOCALE
    if request.path.startswith("/api/"):
        return DEFAULT_LOCALE  # API clients get JSON in English; nothing there is shown as a page
    explicit = request.args.get("lang")
    if explicit is None and request.mimetype == "application/x-www-form-urlencoded":
        explicit = request.form.get("lang")
    for choice in (explicit, remembered(), request.cookies.get(COOKIE)):
        if (code := supported(choice)) is not None:
            return code
    for tag in (request.args.get("ui_locales") or "").split():
        if (code := supported(tag)) is not None:
            return code
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


def current_locale() -> str:
    """The locale this request is shown in (English outside a request)."""
    if not has_request_context():
        return DEFAULT_LOCALE
    return str(get_locale() or DEFAULT_LOCALE)


def remember_in_cookie(response: Response, code: str, *, secure: bool) -> Response:
    """Keep ``code`` as this browser's choice (signed-out pages, after expiry, next visit)."""
    response.set_cookie(
        COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True, secure=secure
    )
    return response


def iso_duration(value: str, locale: str | None = None) -> str:
    """An ISO 8601 duration (``P30D``, ``P1Y6M``) in words: "30 days", "1 any i 6 mesos".

    Anything else is returned as it is.
    """
    match = ISO_DURATION.fullmatch(value or "")
    if match is None or not any(match.groups()):
        return value
    locale = locale or current_locale()
    units = ("duration-year", "duration-month", "duration-week", "duration-day")
    parts = [
        format_unit(int(amount), unit, length="long", locale=locale)
        for amount, unit in zip(match.groups(), units, strict=True)
        if amount and int(amount)
    ]
    return (
        format_list(parts, locale=locale)
        if parts
        else format_unit(0, "duration-day", locale=locale)
    )


def duration(value: timedelta, locale: str | None = None) -> str:
    """A time span in words, in the largest unit that measures it exactly ("48 hours" is 2 days)."""
    locale = locale or current_locale()
    seconds = int(value.total_seconds())
    for unit, size in UNITS:
        if seconds and seconds % size == 0:
            return format_unit(seconds // size, unit, length="long", locale=locale)
    return format_unit(0, "duration-second", length="long", locale=locale)


def number(value: Decimal | float | int | str | None) -> str:
    """A number in the request's locale (``0,5`` in Catalan); ``None`` as a dash.

    Decimals keep every digit they have (budgets are exact); floats are shown
    with up to three decimals. A string is read as a decimal (budgets come as
    canonical strings such as ``"0.5"``).
    """
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            return number(Decimal(value))
        except ArithmeticError:
            return value
    locale = current_locale()
    if isinstance(value, float):
        return format_decimal(value, locale=locale)
    if isinstance(value, Decimal):
        value = value.normalize()
    return format_decimal(value, locale=locale, decimal_quantization=False)


def period(label: str) -> str:
    """A budget period label in words: ``P30D`` is "30 days", ``calendar-month`` "calendar month"."""
    if label == "calendar-month":
        return gettext("calendar month")
    return iso_duration(label)


def month(value: str | date) -> str:
    """A calendar month (``2026-03`` or a date) as the locale says it: "March 2026", "març de 2026"."""
    if isinstance(value, str):
        try:
            return month(date.fromisoformat(f"{value}-01"))
        except ValueError:
            return value
    return str(format_skeleton("yMMMM", value, locale=current_locale()))


def when(value: datetime | date | str | None, style: str = "medium") -> str:
    """A date and time (UTC) or a date, in the request's locale; ``None`` as a dash.

    An ISO 8601 string (as JSON-ready dictionaries carry them) is read first.
    """
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            return when(datetime.fromisoformat(value), style)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return str(_format_datetime(value, style))
    return str(_format_date(value, style))


def _datetime_attr(value: datetime | date) -> str:
    """The machine value to the second: pages never show sub-second timing (which
    could line an entry up with others' activity)."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    return value.isoformat()


def time_tag(value: datetime | date | str | None, style: str = "medium") -> Markup:
    """``<time datetime="…">`` with the machine value and the locale's wording."""
    if value is None or value == "":
        return Markup("—")
    if isinstance(value, str):
        return Markup('<time datetime="{}">{}</time>').format(value, when(value, style))
    return Markup('<time datetime="{}">{}</time>').format(_datetime_attr(value), when(value, style))


def _template_context() -> dict[str, Any]:
    code = current_locale()
    return {"current_locale": code, "lang": code, "locale_names": locale_names()}


def init_i18n(app: Flask, remembered: RememberedLocale) -> Babel:
    """Flask-Babel with the locale selector above; filters for templates.

    ``remembered`` gives the signed-in account's remembered locale (or ``None``);
    it is passed in so that this module stays below the identity layer.
    """
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    babel = Babel(app, locale_selector=lambda: _select(remembered))
    # {% trans %} blocks collapse their line breaks and indentation (babel.cfg says the same).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.context_processor(_template_context)
    app.jinja_env.filters.update(
        iso_duration=iso_duration,
        duration=duration,
        number=number,
        period=period,
        month=month,
        when=when,
        time_tag=time_tag,
    )
    return babel
