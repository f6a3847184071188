"""Portal pages to register, sign in, sign out and change one's password.

Thin: parse the form, call :mod:`civicdata.identity`, render. Failed and
throttled sign-ins are recorded by :func:`civicdata.identity.authentication.authenticate`.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from civicdata.audit import record_event, record_event_committed
from civicdata.db import utcnow
from civicdata.identity.accounts import AccountError, change_password, register_citizen
from civicdata.identity.audit_trail import actor_of
from civicdata.identity.authentication import authenticate
from civicdata.identity.portal import (
    current_account,
    identity_services,
    login_required,
    safe_next,
    sign_in,
    sign_out,
)
from civicdata.request_scope import current_platform, db_session
from civicdata.web.auth_forms import LoginForm, PasswordForm, RegisterForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in with email and password; then go back to ``next`` (a local path only)."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
        if current_account() is not None:
            return redirect(form.next.data)
        return render_template("auth/login.html", form=form)
    if not form.validate():
        return render_template("auth/login.html", form=form), 400
    outcome = authenticate(
        current_platform(),
        db_session(),
        identity_services().passwords,
        form.email.data or "",
        form.password.data or "",
        utcnow(),
    )
    if outcome.status == "throttled":
        minutes = -(-(outcome.retry_after or 60) // 60)
        error = f"Too many failed attempts. Try again in {minutes} minute(s)."
        response = render_template("auth/login.html", form=form, error=error)
        return response, 429, {"Retry-After": str(outcome.retry_after)}
    if outcome.account is None:
        error = "The email or password is not right."
        return render_template("auth/login.html", form=form, error=error), 401
    sign_in(outcome.account)
    db_session().commit()
    return redirect(safe_next(form.next.data))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out: the server-side session is deleted, not just the cookie."""
    account = current_account()
    sign_out()
    if account is not None:
        record_event(db_session(), actor=actor_of(account), action="logout", role=account.role)
    db_session().commit()
    flash("You are signed out.", "info")
    return redirect(url_for("portal.landing"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Residents register with an email and a password; staff accounts come from operators."""
    form = RegisterForm()
    if request.method == "GET":
        return render_template("auth/register.html", form=form)
    if not form.validate():
        return render_template("auth/register.html", form=form), 400
    platform = current_platform()
    session = db_session()
    try:
        account = register_citizen(
            session,
            vault=platform.vault,
            index=platform.keys.blind_index,
            passwords=identity_services().passwords,
            email=form.email.data or "",
            password=form.password.data or "",
            name=form.name.data or None,
        )
    except AccountError as exc:
        session.rollback()
        record_event_committed(
            platform.sessions,
            actor="anonymous",
            action="register",
            decision="failed",
            field=exc.field,
        )
        getattr(form, exc.field).errors = [exc.message]
        return render_template("auth/register.html", form=form), 400
    record_event(session, actor=actor_of(account), action="register", role="citizen")
    sign_in(account)
    session.commit()
    flash("Welcome! Your account is ready.", "info")
    return redirect(url_for("auth.account"))


@bp.get("/account")
@login_required()
def account() -> ResponseReturnValue:
    """Who is signed in, and a form to change the password."""
    return render_template("auth/account.html", form=PasswordForm())


@bp.post("/account/password")
@login_required()
def password() -> ResponseReturnValue:
    """Change the password: every other session of the account ends."""
    form = PasswordForm()
    signed_in = current_account()
    assert signed_in is not None  # guaranteed by login_required
    if not form.validate():
        return render_template("auth/account.html", form=form), 400
    services = identity_services()
    if not services.passwords.verify(signed_in.password_hash, form.current.data or "").ok:
        record_event_committed(
            current_platform().sessions,
            actor=actor_of(signed_in),
            action="password.change",
            decision="failed",
        )
        form.current.errors = ["The current password is not right."]
        return render_template("auth/account.html", form=form), 400
    try:
        change_password(db_session(), signed_in, services.passwords, form.new.data or "", utcnow())
    except AccountError as exc:
        form.new.errors = [exc.message]
        return render_template("auth/account.html", form=form), 400
    record_event(db_session(), actor=actor_of(signed_in), action="password.change")
    sign_in(signed_in)
    db_session().commit()
    flash("Your password is changed; other sessions are signed out.", "info")
    return redirect(url_for("auth.account"))
