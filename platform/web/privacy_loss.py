"""The citizen's privacy-loss page: which releases used their data, and how much it cost.

Shows each release that read the citizen's records (when, which department,
dataset and purpose, the epsilon it spent) and, per dataset, the total epsilon
in the city-wide cap's current window against that cap.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue

from civicdata.db import utcnow
from civicdata.i18n import gettext
from civicdata.identity.portal import current_account, login_required
from civicdata.releases.privacy_loss import privacy_loss
from civicdata.request_scope import current_platform, db_session
from civicdata.web.charts import Bar, bar_chart

bp = Blueprint("privacy_loss", __name__)


@bp.get("/my/privacy-loss")
@login_required("citizen")
def page() -> ResponseReturnValue:
    """The releases that used my data and my total privacy loss per dataset."""
    account = current_account()
    if account is None or account.citizen_id is None:
        abort(403, description=gettext("This page is for residents."))
    platform = current_platform()
    loss = privacy_loss(db_session(), platform.policy_set, account.citizen_id, utcnow())
    chart = bar_chart(
        gettext("Your privacy loss per dataset (ε) against the city-wide cap"),
        [Bar(d.dataset, float(d.in_window), None, float(d.cap)) for d in loss.datasets],
    )
    return render_template("privacy_loss/page.html", loss=loss, chart=chart)
