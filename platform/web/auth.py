"""Portal pages to register, sign in, sign out and change one's password.

Thin: parse the form, call :mod:`civicdata.identity`, render. Failed and
throttled sign-ins are recorded by :func:`civicdata.identity.authentication.authenticate`.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from civicdata.audit import record_event, record_event_committed
from civicdata.db import utcnow
from civicdata.i18n import gettext, ngettext, remember_in_cookie
from civicdata.identity.accounts import (
    AccountError,
    EmailTaken,
    account_personal_words,
    change_password,
    register_citizen,
)
from civicdata.identity.audit_trail import actor_of
from civicdata.identity.authentication import authenticate
from civicdata.identity.password_policy import MIN_LENGTH, Assessment, assess, personal_words
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
from civicdata.web.homes import home_for

bp = Blueprint("auth", __name__)


@bp.context_processor
def _password_policy() -> dict[str, int]:
    return {"min_length": MIN_LENGTH}


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in with email and password; then go back to ``next`` (a local path only).

    Without ``next``, each role lands on its home (:func:`civicdata.web.homes.home_for`).
    """
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
        # ``reauth``: an app asked for a fresh sign-in (OpenID Connect prompt=login).
        signed_in = current_account()
        if signed_in is not None and not request.args.get("reauth"):
            return redirect(form.next.data or home_for(signed_in))
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
        error = ngettext(
            "Too many failed attempts. Try again in %(num)d minute.",
            "Too many failed attempts. Try again in %(num)d minutes.",
            minutes,
        )
        response = render_template("auth/login.html", form=form, error=error)
        return response, 429, {"Retry-After": str(outcome.retry_after)}
    if outcome.account is None:
        error = gettext("The email or password is not right.")
        return render_template("auth/login.html", form=form, error=error), 401
    if outcome.account.email_verified_at is None:
        # The password was right, so telling that the address is unconfirmed reveals nothing.
        db_session().rollback()
        record_event_committed(
            current_platform().sessions,
            actor=actor_of(outcome.account),
            action="login",
            decision="unverified",
        )
        identity_services().mail.send_verification(form.email.data or "", outcome.account)
        error = gettext("Confirm your email address first: we have sent you a new link.")
        return render_template("auth/login.html", form=form, error=error), 403
    sign_in(outcome.account)
    db_session().commit()
    answer = redirect(safe_next(form.next.data, "") or home_for(outcome.account))
    if outcome.account.locale:  # this browser follows the account's language from now on
        secure = current_platform().config.secure_cookies
        remember_in_cookie(answer, outcome.account.locale, secure=secure)
    return answer


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out: the server-side session is deleted, not just the cookie."""
    account = current_account()
    sign_out()
    if account is not None:
        record_event(db_session(), actor=actor_of(account), action="logout", role=account.role)
    db_session().commit()
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("portal.landing"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Residents register with an email and a password; staff accounts come from operators.

    The answer is the same whether or not the email has an account already:
    the address's owner gets either a confirmation link or a note that they
    are registered, and the password is hashed in both cases.
    """
    form = RegisterForm()
    if request.method == "GET":
        return render_template("auth/register.html", form=form)
    if not form.validate():
        return render_template("auth/register.html", form=form, **_strength(form)), 400
    platform, services = current_platform(), identity_services()
    session = db_session()
    email = form.email.data or ""
    try:
        account = register_citizen(
            session,
            vault=platform.vault,
            index=platform.keys.blind_index,
            passwords=services.passwords,
            email=email,
            password=form.password.data or "",
            name=form.name.data or None,
        )
    except EmailTaken:
        session.rollback()
        services.passwords.hash(form.password.data or "")  # the cost of a new account
        services.mail.send_already_registered(email)
        record_event_committed(
            platform.sessions, actor="anonymous", action="register", decision="duplicate"
        )
        return render_template("auth/check_inbox.html", reason="register")
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
        return render_template("auth/register.html", form=form, **_strength(form)), 400
    record_event(session, actor=actor_of(account), action="register", role="citizen")
    services.mail.send_verification(email, account)
    session.commit()
    return render_template("auth/check_inbox.html", reason="register")


def _strength(form: RegisterForm) -> dict[str, Assessment]:
    """The strength meter's reading of a submitted password (feedback without JavaScript)."""
    personal = personal_words(form.email.data, form.name.data)
    return {"strength": assess(form.password.data or "", personal)}


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
        form.current.errors = [gettext("The current password is not right.")]
        return render_template("auth/account.html", form=form), 400
    platform = current_platform()
    try:
        change_password(
            db_session(),
            signed_in,
            services.passwords,
            form.new.data or "",
            utcnow(),
            index=platform.keys.blind_index,
            personal=account_personal_words(db_session(), platform.vault, signed_in),
        )
    except AccountError as exc:
        form.new.errors = [exc.message]
        strength = assess(form.new.data or "", [])
        return render_template("auth/account.html", form=form, strength=strength), 400
    record_event(db_session(), actor=actor_of(signed_in), action="password.change")
    sign_in(signed_in)
    db_session().commit()
    flash(gettext("Your password is changed; other sessions are signed out."), "info")
    return redirect(url_for("auth.account"))
