"""The citizen portal: consent per purpose, history, receipts, apps, my data, erase me.

Thin: parse the form, call :mod:`civicdata.consents`, render. Every page is for
signed-in citizens (``login_required("citizen")``) except the public list of
purposes. Forms are CSRF-protected (checked for every POST by
:mod:`civicdata.identity.portal`) and work without JavaScript. The page's
language (:mod:`civicdata.i18n`, chosen with the header's switch) also
decides which notice text is shown and recorded.
"""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from civicdata.audit import record_event_committed
from civicdata.consents.apps import AuthorisedApp, authorised_apps, revoke_app
from civicdata.consents.changes import ConsentRequestError, give_consent, withdraw_consent
from civicdata.consents.erasure import ErasureError, erase_me
from civicdata.consents.export import export_my_data
from civicdata.consents.overview import consent_overview
from civicdata.consents.recording import Collector
from civicdata.errors import status_for
from civicdata.i18n import current_locale, locale_names
from civicdata.identity.models import Account
from civicdata.identity.portal import current_account, identity_services, login_required
from civicdata.request_scope import current_platform, db_session, discard_changes
from civicdata.web import language as language_switch
from civicdata.web import wording
from consent.records import find_event, history

bp = Blueprint("citizen", __name__, url_prefix="/my")
public = Blueprint("purposes", __name__)


# Plain words in every template: "30 days", "your consent", "3 March 2026".
public.add_app_template_filter(wording.duration, "duration")
public.add_app_template_filter(wording.legal_basis, "legal_basis")
public.add_app_template_filter(wording.day, "day")
public.add_app_template_filter(wording.moment, "moment")
public.add_app_template_filter(wording.names_of, "names_of")
public.add_app_template_filter(wording.scope, "scope_words")
public.add_app_template_filter(
    wording.period, "period_span"
)  # "any 30 days"; i18n's "period" says "30 days"
public.add_app_template_global(wording.is_consent, "is_consent_basis")


def current_language() -> str:
    """The page's language (:mod:`civicdata.i18n`), which is also the notices' language."""
    return current_locale()


def _render(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    return render_template(
        template, lang=current_language(), languages=locale_names(), **context
    ), status


def _citizen() -> tuple[Account, str]:
    account = current_account()
    assert account is not None and account.citizen_id is not None  # login_required("citizen")
    return account, account.citizen_id


@public.get("/purposes")
def purposes() -> ResponseReturnValue:
    """Every purpose and its notice, public: the policy page that receipts point to."""
    platform, language = current_platform(), current_language()
    departments = platform.catalog.departments
    shown = [
        (
            purpose,
            purpose.notice[language],
            departments[purpose.controller].name
            if purpose.controller in departments
            else purpose.controller,
        )
        for purpose in platform.purposes.values()
    ]
    return _render("citizen/purposes.html", purposes=shown, names=plain_names())


# The header's switch (civicdata.web.language), also under the name purposes.language.
public.add_url_rule("/language", "language", language_switch.switch, methods=["POST"])


@bp.get("/")
@login_required("citizen")
def dashboard() -> ResponseReturnValue:
    """Each purpose in plain words, its state and a give or withdraw button."""
    _account, citizen_id = _citizen()
    views = consent_overview(current_platform(), db_session(), citizen_id, current_language())
    return _render("citizen/dashboard.html", purposes=views, names=plain_names())


@bp.post("/consents/<purpose_id>")
@login_required("citizen")
def change(purpose_id: str) -> ResponseReturnValue:
    """Give (or renew) or withdraw consent to one purpose."""
    _account, citizen_id = _citizen()
    action = request.form.get("action")
    if action not in ("give", "withdraw"):
        abort(400, description=_("action: must be give or withdraw"))
    platform, db = current_platform(), db_session()
    change_consent = give_consent if action == "give" else withdraw_consent
    try:
        event = change_consent(
            platform,
            db,
            citizen_id,
            purpose_id,
            language=current_language(),
            collector=Collector(method="portal", actor=citizen_id),
        )
    except ConsentRequestError as exc:
        discard_changes()
        _refused(citizen_id, f"consent.{action}", exc.field)
        abort(status_for(exc), description=exc.message)
    purpose = platform.purposes[purpose_id]
    flash(
        _changed(event.state, purpose.notice[current_language()].title, purpose.legal_basis), "info"
    )
    return redirect(url_for("citizen.dashboard", _anchor=f"purpose-{purpose_id}"))


def _changed(state: str, title: str, legal_basis: str) -> str:
    """What the resident just did, in a sentence, and where the receipt is."""
    if wording.is_consent(legal_basis):
        done = (
            _("You gave your consent to “%(title)s”.", title=title)
            if state == "given"
            else _("You withdrew your consent to “%(title)s”.", title=title)
        )
    else:
        done = (
            _("You allowed “%(title)s” to use your data.", title=title)
            if state == "given"
            else _("You objected to “%(title)s”: your data is no longer used for it.", title=title)
        )
    return _("%(done)s Your receipt is in History and receipts.", done=done)


@bp.get("/history")
@login_required("citizen")
def consent_history() -> ResponseReturnValue:
    """Every consent event as a sentence, newest first, each with its signed receipt."""
    _account, citizen_id = _citizen()
    events = list(reversed(history(db_session(), citizen_id)))
    return _render("citizen/history.html", events=events, names=plain_names())


@bp.get("/receipts")
@login_required("citizen")
def receipts() -> ResponseReturnValue:
    """The receipts, listed with the history they prove (the same page, at its old address)."""
    return consent_history()


@bp.get("/receipts/<record_id>.json")
@login_required("citizen")
def receipt(record_id: str) -> ResponseReturnValue:
    """One signed receipt document (JSON), as a download."""
    _account, citizen_id = _citizen()
    event = find_event(db_session(), citizen_id, record_id)
    if event is None:
        abort(404, description=_("record_id: no receipt of yours has this id"))
    return _download(event.document(), f"consent-receipt-{record_id}.json")


@bp.get("/apps")
@login_required("citizen")
def apps() -> ResponseReturnValue:
    """One card per app authorised through OAuth, what it may do in words, a revoke button."""
    _account, citizen_id = _citizen()
    apps = one_card_per_app(authorised_apps(db_session(), citizen_id))
    return _render("citizen/apps.html", apps=apps, names=plain_names())


def one_card_per_app(apps: list[AuthorisedApp]) -> list[AuthorisedApp]:
    """The authorizations merged per app: every scope once, since the first, until the last."""
    merged: dict[str, AuthorisedApp] = {}
    for app in apps:
        seen = merged.get(app.client_id)
        if seen is None:
            merged[app.client_id] = app
            continue
        ends = [e for e in (seen.expires_at, app.expires_at) if e is not None]
        merged[app.client_id] = AuthorisedApp(
            client_id=app.client_id,
            name=seen.name,
            scopes=list(dict.fromkeys([*seen.scopes, *app.scopes])),
            purposes=list(dict.fromkeys([*seen.purposes, *app.purposes])),
            given_at=min(seen.given_at, app.given_at),
            expires_at=max(ends) if len(ends) == 2 else None,
        )
    return list(merged.values())


@bp.post("/apps/<client_id>/revoke")
@login_required("citizen")
def revoke(client_id: str) -> ResponseReturnValue:
    """Revoke an app: withdraw the consents it collected and revoke its tokens."""
    _account, citizen_id = _citizen()
    platform, db = current_platform(), db_session()
    revoked, purposes = revoke_app(platform, db, citizen_id, client_id, language=current_language())
    if not revoked:
        abort(404, description=_("client_id: you have not authorised this app"))
    flash(
        ngettext(
            "The app can no longer act for you; the consent it collected was withdrawn.",
            "The app can no longer act for you; the %(num)d consents it collected were withdrawn.",
            len(purposes),
        )
        if purposes
        else _("The app can no longer act for you."),
        "info",
    )
    return redirect(url_for("citizen.apps"))


@bp.get("/data")
@login_required("citizen")
def my_data() -> ResponseReturnValue:
    """Everything held on me, decrypted, on one page."""
    _account, citizen_id = _citizen()
    document = export_my_data(current_platform(), db_session(), citizen_id, channel="portal-view")
    return _render("citizen/data.html", data=document, names=plain_names())


@bp.get("/data.json")
@login_required("citizen")
def my_data_json() -> ResponseReturnValue:
    """Everything held on me as a JSON file (data portability)."""
    _account, citizen_id = _citizen()
    document = export_my_data(current_platform(), db_session(), citizen_id, channel="portal")
    return _download(document, "my-data.json")


@bp.route("/erase", methods=["GET", "POST"])
@login_required("citizen")
def erase() -> ResponseReturnValue:
    """Erase me: a confirmation step (box and password), then the signed erasure receipt."""
    account, citizen_id = _citizen()
    if request.method == "GET":
        return _render("citizen/erase.html", errors={})
    password = request.form.get("password", "")
    if not identity_services().passwords.verify(account.password_hash, password).ok:
        _refused(citizen_id, "citizen.erase", "password")
        errors = {"password": _("The password is not right.")}
        return _render("citizen/erase.html", 400, errors=errors)
    platform, db = current_platform(), db_session()
    try:
        document = erase_me(
            platform,
            db,
            account,
            confirmed=request.form.get("confirm") == "yes",
            language=current_language(),
        )
    except ErasureError as exc:
        return _render("citizen/erase.html", 400, errors={exc.field: exc.message})
    _forget_account()
    receipt_json = json.dumps(document, indent=2, ensure_ascii=False)
    return _render("citizen/erased.html", receipt_json=receipt_json)


def _forget_account() -> None:
    """Forget the erased account in this browser (its server-side sessions are gone).

    The language stays: the choice is in the browser's own cookie, not the session.
    """
    session.clear()
    g.portal_account = None


def plain_names() -> dict[str, dict[str, str]]:
    """What people call the purposes, datasets and departments (ids in the data)."""
    language, catalog = current_language(), current_platform().catalog
    return {
        "purposes": {
            pid: p.notice[language].title for pid, p in current_platform().purposes.items()
        },
        "datasets": {did: d.title for did, d in catalog.datasets.items()},
        "departments": {did: d.name for did, d in catalog.departments.items()},
    }


def _download(document: dict[str, Any], filename: str) -> Response:
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _refused(citizen_id: str, action: str, field: str) -> None:
    record_event_committed(
        current_platform().sessions,
        actor=citizen_id,
        action=action,
        decision="refused",
        subject=citizen_id,
        field=field,
    )
