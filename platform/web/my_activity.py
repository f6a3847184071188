"""A citizen's view of the audit log: what happened with their data, with proofs.

Shows the entries that name the signed-in citizen's pseudonym, as subject
(consent changes, exports, erasure requests, apps acting for them) or as actor
(their own sign-ins and changes), each with its inclusion proof verified
against the latest signed checkpoint. Nobody else's entries can be reached here.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from civicdata.audit.checkpoints import CheckpointError
from civicdata.audit.queries import events_about, prove_events
from civicdata.identity.portal import current_account, login_required
from civicdata.oauth.clients import client_names
from civicdata.request_scope import current_platform, db_session
from civicdata.web import wording
from civicdata.web.citizen import current_language, plain_names

bp = Blueprint("my_activity", __name__)
PAGE = 20


@bp.get("/my/activity")
@login_required("citizen")
def about_me() -> ResponseReturnValue:
    """The entries about the citizen, newest first, each proven in the signed log."""
    account = current_account()
    assert account is not None and account.citizen_id is not None  # login_required("citizen")
    before = _before()
    session, platform = db_session(), current_platform()
    page = events_about(session, account.citizen_id, before=before, limit=PAGE)
    names = {**plain_names(), "apps": client_names(session, (e.resource for e in page.events))}
    shown = {
        "page": page,
        "me": account,
        "names": names,
        "lang": current_language(),
        "sentence": lambda event: wording.activity(event, account.citizen_id or "", names),
    }
    try:
        proven = prove_events(session, platform.signing, platform.audit_origin, page.events)
    except CheckpointError as exc:
        return render_template(
            "my_activity/activity.html", proven=[], problem=str(exc), **shown
        ), 409
    return render_template("my_activity/activity.html", proven=proven, problem=None, **shown)


def _before() -> int | None:
    raw = request.args.get("before", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        abort(400, description=_("before: give the number of an entry (0 or more)."))
    return int(raw)
