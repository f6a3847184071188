"""The citizen portal: consent per purpose, history, receipts, apps, my data, erase me.

Thin: parse the form, call :mod:`civicdata.consents`, render. Every page is for
signed-in citizens (``login_required("citizen")``) except the public list of
purposes. Forms are CSRF-protected (checked for every POST by
:mod:`civicdata.identity.portal`) and work without JavaScript. The language
chosen with the switch (English or Catalan) is kept in the portal session and
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

from civicdata.audit import record_event_committed
from civicdata.consents.apps import authorised_apps, revoke_app
from civicdata.consents.changes import ConsentRequestError, give_consent, withdraw_consent
from civicdata.consents.erasure import ErasureError, erase_me
from civicdata.consents.export import export_my_data
from civicdata.consents.overview import consent_overview
from civicdata.consents.recording import Collector
from civicdata.errors import status_for
from civicdata.i18n import current_locale, gettext, locale_names, ngettext
from civicdata.identity.models import Account
from civicdata.identity.portal import current_account, identity_services, login_required
from civicdata.request_scope import current_platform, db_session, discard_changes
from civicdata.web import language as language_switch
from consent.records import find_event, history

bp = Blueprint("citizen", __name__, url_prefix="/my")
public = Blueprint("purposes", __name__)


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
    return _render("citizen/purposes.html", purposes=shown)


# The header's switch (civicdata.web.language), also under the name citizen/_language.html uses.
public.add_url_rule("/language", "language", language_switch.switch, methods=["POST"])


@bp.get("/")
@login_required("citizen")
def dashboard() -> ResponseReturnValue:
    """Each purpose in plain words, its state and a give or withdraw button."""
    _, citizen_id = _citizen()
    views = consent_overview(current_platform(), db_session(), citizen_id, current_language())
    return _render("citizen/dashboard.html", purposes=views)


@bp.post("/consents/<purpose_id>")
@login_required("citizen")
def change(purpose_id: str) -> ResponseReturnValue:
    """Give (or renew) or withdraw consent to one purpose."""
    _, citizen_id = _citizen()
    action = request.form.get("action")
    if action not in ("give", "withdraw"):
        abort(400, description=gettext("action: must be give or withdraw"))
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
    title = platform.purposes[purpose_id].notice[current_language()].title
    if event.state == "given":
        message = gettext(
            "You gave your consent to “%(title)s”. Your receipt is in My receipts.", title=title
        )
    else:
        message = gettext(
            "You withdrew your consent to “%(title)s”. Your receipt is in My receipts.", title=title
        )
    flash(message, "info")
    return redirect(url_for("citizen.dashboard"))


@bp.get("/history")
@login_required("citizen")
def consent_history() -> ResponseReturnValue:
    """Every consent event, newest first."""
    _, citizen_id = _citizen()
    events = list(reversed(history(db_session(), citizen_id)))
    return _render("citizen/history.html", events=events, titles=_titles())


@bp.get("/receipts")
@login_required("citizen")
def receipts() -> ResponseReturnValue:
    """A signed receipt to download for every grant and withdrawal."""
    _, citizen_id = _citizen()
    events = list(reversed(history(db_session(), citizen_id)))
    return _render("citizen/receipts.html", events=events, titles=_titles())


@bp.get("/receipts/<record_id>.json")
@login_required("citizen")
def receipt(record_id: str) -> ResponseReturnValue:
    """One signed receipt document (JSON), as a download."""
    _, citizen_id = _citizen()
    event = find_event(db_session(), citizen_id, record_id)
    if event is None:
        abort(404, description=gettext("record_id: no receipt of yours has this id"))
    return _download(event.document(), f"consent-receipt-{record_id}.json")


@bp.get("/apps")
@login_required("citizen")
def apps() -> ResponseReturnValue:
    """The apps authorised through OAuth, with a revoke button each."""
    _, citizen_id = _citizen()
    return _render("citizen/apps.html", apps=authorised_apps(db_session(), citizen_id))


@bp.post("/apps/<client_id>/revoke")
@login_required("citizen")
def revoke(client_id: str) -> ResponseReturnValue:
    """Revoke an app: withdraw the consents it collected and revoke its tokens."""
    _, citizen_id = _citizen()
    platform, db = current_platform(), db_session()
    revoked, purposes = revoke_app(platform, db, citizen_id, client_id, language=current_language())
    if not revoked:
        abort(404, description=gettext("client_id: you have not authorised this app"))
    message = ngettext(
        "The app can no longer act for you; %(num)d consent it collected was withdrawn.",
        "The app can no longer act for you; %(num)d consents it collected were withdrawn.",
        len(purposes),
    )
    flash(message, "info")
    return redirect(url_for("citizen.apps"))


@bp.get("/data")
@login_required("citizen")
def my_data() -> ResponseReturnValue:
    """Everything held on me, decrypted, on one page."""
    _, citizen_id = _citizen()
    document = export_my_data(current_platform(), db_session(), citizen_id, channel="portal-view")
    return _render("citizen/data.html", data=document, titles=_titles())


@bp.get("/data.json")
@login_required("citizen")
def my_data_json() -> ResponseReturnValue:
    """Everything held on me as a JSON file (data portability)."""
    _, citizen_id = _citizen()
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
        errors = {"password": gettext("The password is not right.")}
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

    The language stays: the choice is also in the browser's own cookie.
    """
    session.clear()
    g.portal_account = None


def _titles() -> dict[str, str]:
    language = current_language()
    return {pid: p.notice[language].title for pid, p in current_platform().purposes.items()}


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
