"""The citizen's privacy-loss page: which releases used their data, and how much it cost.

Shows each release that read the citizen's records (when, which department,
dataset and purpose, the epsilon it spent) and, per dataset, the total epsilon
in the city-wide cap's current window against that cap, in a sentence and a
meter per dataset (a bar chart was unreadable on a phone) with the table too.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from civicdata.db import utcnow
from civicdata.identity.portal import current_account, login_required
from civicdata.releases.privacy_loss import privacy_loss
from civicdata.request_scope import current_platform, db_session
from civicdata.web.citizen import current_language, plain_names
from policies.budget import text

bp = Blueprint("privacy_loss", __name__)


@bp.get("/my/privacy-loss")
@login_required("citizen")
def page() -> ResponseReturnValue:
    """The releases that used my data and my total privacy loss per dataset."""
    account = current_account()
    if account is None or account.citizen_id is None:
        abort(403, description=_("This page is for citizens."))
    platform = current_platform()
    loss = privacy_loss(db_session(), platform.policy_set, account.citizen_id, utcnow())
    return render_template(
        "privacy_loss/page.html",
        loss=loss,
        amount=text,
        names=plain_names(),
        lang=current_language(),
    )
