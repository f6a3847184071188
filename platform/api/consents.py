"""The consent API for citizen apps: purposes, my consents, give, withdraw, receipts, export.

Every route needs a citizen app's token (``consent:read``; giving and
withdrawing ``consent:write``) issued through the citizen's own consent;
department, source and auditor tokens are refused by :func:`require_oauth`.
Changes are recorded with collection method ``api`` and the app's client id.
Withdrawing a purpose also withdraws every app authorization carrying it,
the calling app's included.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from civicdata.api.consent_schemas import (
    ConsentEventOut,
    ConsentStateOut,
    ExportOut,
    LanguageIn,
    PurposeOut,
    ReceiptDocumentOut,
)
from civicdata.consents.changes import ConsentRequestError, give_consent, withdraw_consent
from civicdata.consents.export import export_my_data
from civicdata.consents.overview import consent_overview
from civicdata.consents.recording import Collector
from civicdata.db import utcnow
from civicdata.errors import problem
from civicdata.identity.audit_trail import client_actor
from civicdata.oauth.protect import current_grant, require_oauth
from civicdata.request_scope import current_platform, db_session
from consent.notices import current_notices
from consent.records import find_event

blp = Blueprint(
    "consents", __name__, url_prefix="/consents", description="Citizens' consent, for their apps"
)


def _citizen_id() -> str | Response:
    citizen_id = current_grant().citizen_id
    if citizen_id is None:
        return problem(403, "Forbidden", "This token does not act for a citizen.")
    return citizen_id


def _refused(exc: ConsentRequestError) -> Response:
    db_session().rollback()
    titles = {400: "Bad Request", 404: "Not Found", 409: "Conflict"}
    return problem(exc.status, titles.get(exc.status, "Error"), exc.message, field=exc.field)


@blp.route("/purposes")
@require_oauth("consent:read")
@blp.response(200, PurposeOut(many=True))
def list_purposes() -> Any:
    """Every purpose with its notice in every language and the notice version in force."""
    platform = current_platform()
    versions = current_notices(db_session(), utcnow())
    departments = platform.catalog.departments
    return [
        {
            "id": p.id,
            "controller": p.controller,
            "controller_name": departments[p.controller].name
            if p.controller in departments
            else p.controller,
            "datasets": list(p.datasets),
            "legal_basis": p.legal_basis,
            "retention": p.retention,
            "consent_validity": p.consent_validity,
            "notice_version": versions[p.id].version if p.id in versions else None,
            "notice": {lang: {"title": n.title, "text": n.text} for lang, n in p.notice.items()},
        }
        for p in platform.purposes.values()
    ]


@blp.route("")
@require_oauth("consent:read")
@blp.arguments(LanguageIn, location="query")
@blp.response(200, ConsentStateOut(many=True))
def my_consents(args: dict[str, str]) -> Any:
    """The citizen's state for every purpose (``needs_review`` when the notice changed)."""
    citizen_id = _citizen_id()
    if isinstance(citizen_id, Response):
        return citizen_id
    return consent_overview(current_platform(), db_session(), citizen_id, args["language"])


@blp.route("/<purpose>", methods=["POST"])
@require_oauth("consent:write")
@blp.arguments(LanguageIn, location="json")
@blp.response(201, ConsentEventOut)
def give(args: dict[str, str], purpose: str) -> Any:
    """Give (or renew) the citizen's consent to ``purpose``; answers with the signed receipt."""
    return _change(give_consent, purpose, args["language"])


@blp.route("/<purpose>", methods=["DELETE"])
@require_oauth("consent:write")
@blp.arguments(LanguageIn, location="query")
@blp.response(200, ConsentEventOut)
def withdraw(args: dict[str, str], purpose: str) -> Any:
    """Withdraw the citizen's consent to ``purpose``; answers with the signed receipt."""
    return _change(withdraw_consent, purpose, args["language"])


def _change(change: Any, purpose: str, language: str) -> Any:
    citizen_id = _citizen_id()
    if isinstance(citizen_id, Response):
        return citizen_id
    client_id = current_grant().client_id
    collector = Collector(method="api", actor=client_actor(client_id), client_id=client_id)
    try:
        event = change(
            current_platform(),
            db_session(),
            citizen_id,
            purpose,
            language=language,
            collector=collector,
        )
    except ConsentRequestError as exc:
        return _refused(exc)
    db_session().commit()
    return event


@blp.route("/receipts/<record_id>")
@require_oauth("consent:read")
@blp.response(200, ReceiptDocumentOut)
def receipt(record_id: str) -> Any:
    """One of the citizen's signed consent receipts, by record id."""
    citizen_id = _citizen_id()
    if isinstance(citizen_id, Response):
        return citizen_id
    event = find_event(db_session(), citizen_id, record_id)
    if event is None:
        return problem(
            404, "Not Found", "No receipt of this citizen has this id.", field="record_id"
        )
    return event.document()


@blp.route("/export")
@require_oauth("consent:read")
@blp.response(200, ExportOut)
def export() -> Any:
    """Everything the platform holds on the citizen, decrypted (GDPR Art. 15/20)."""
    citizen_id = _citizen_id()
    if isinstance(citizen_id, Response):
        return citizen_id
    document = export_my_data(current_platform(), db_session(), citizen_id, channel="api")
    db_session().commit()
    return document
