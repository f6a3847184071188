"""Portal pages reached from mail: confirm an address, reset a forgotten password.

Also the strength meter's JSON reading, which the static script
``password-strength.js`` asks for while someone types (the forms give the
same feedback on submit without JavaScript).
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from civicdata.audit import record_event, record_event_committed
from civicdata.db import utcnow
from civicdata.i18n import gettext
from civicdata.identity.account_tokens import TokenError
from civicdata.identity.accounts import (
    AccountError,
    account_personal_words,
    change_password,
    find_account,
    mark_email_verified,
)
from civicdata.identity.audit_trail import actor_of
from civicdata.identity.password_policy import MAX_LENGTH, assess, personal_words
from civicdata.identity.portal import identity_services
from civicdata.identity.sessions import end_all_sessions
from civicdata.request_scope import current_platform, db_session
from civicdata.web.auth_forms import ConfirmForm, ResetForm, ResetRequestForm

bp = Blueprint("account_email", __name__)


@bp.route("/reset", methods=["GET", "POST"])
def reset_request() -> ResponseReturnValue:
    """Ask for a reset link; the answer never tells whether the address has an account."""
    form = ResetRequestForm()
    if request.method == "GET":
        return render_template("auth/reset_request.html", form=form)
    if not form.validate():
        return render_template("auth/reset_request.html", form=form), 400
    platform, mail = current_platform(), identity_services().mail
    email = form.email.data or ""
    account = find_account(db_session(), platform.keys.blind_index, email)
    if account is None:
        mail.send_no_account(email)
    else:
        mail.send_reset(email, account)
    record_event_committed(platform.sessions, actor="anonymous", action="password.reset.request")
    return render_template("auth/check_inbox.html", reason="reset")


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """Choose a new password through a reset link (once, before it expires)."""
    form = ResetForm()
    session, platform = db_session(), current_platform()
    try:
        account = identity_services().mail.reset.redeem(session, token, utcnow())
    except TokenError as exc:
        session.rollback()
        return render_template("auth/link_problem.html", problem=str(exc)), 400
    if request.method == "GET":
        session.rollback()
        return render_template("auth/reset_password.html", form=form, token=token)
    personal = account_personal_words(session, platform.vault, account)
    if form.validate():
        try:
            change_password(
                session,
                account,
                identity_services().passwords,
                form.new.data or "",
                utcnow(),
                index=platform.keys.blind_index,
                personal=personal,
            )
        except AccountError as exc:
            form.new.errors = [exc.message]
    if form.errors:
        session.rollback()
        strength = assess(form.new.data or "", personal)
        page = render_template(
            "auth/reset_password.html", form=form, token=token, strength=strength
        )
        return page, 400
    mark_email_verified(account, utcnow())  # the link came by mail to that address
    end_all_sessions(session, account)
    record_event(session, actor=actor_of(account), action="password.reset")
    session.commit()
    flash(gettext("Your password is changed. Sign in with it."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify(token: str) -> ResponseReturnValue:
    """Confirm an address: the link shows a button, so mail scanners fetching it change nothing."""
    form = ConfirmForm()
    session = db_session()
    try:
        account = identity_services().mail.verify.redeem(session, token, utcnow())
    except TokenError as exc:
        session.rollback()
        return render_template("auth/link_problem.html", problem=str(exc)), 400
    if request.method == "GET" or not form.validate():
        session.rollback()
        return render_template("auth/verify.html", form=form, token=token)
    mark_email_verified(account, utcnow())
    record_event(session, actor=actor_of(account), action="email.verify")
    session.commit()
    flash(gettext("Your email address is confirmed. You can sign in now."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/password/strength")
def password_strength() -> ResponseReturnValue:
    """The strength meter's reading of a password being typed (CSRF-protected, never stored)."""
    password = request.form.get("password", "")[: MAX_LENGTH + 1]
    personal = personal_words(
        request.form.get("email", "")[:254], request.form.get("name", "")[:200]
    )
    reading = assess(password, personal)
    response = jsonify(
        score=reading.score,
        label=reading.label,
        problems=reading.problems,
        suggestions=reading.suggestions,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
