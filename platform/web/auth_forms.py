"""The portal's sign-in, registration and password forms (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from civicdata.identity.password_policy import MAX_LENGTH, MIN_LENGTH


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)])
    next = HiddenField()


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name (optional)", validators=[Optional(), Length(max=200)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=MAX_LENGTH)])
    new = PasswordField(
        "New password", validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new", message="The passwords differ.")],
    )


class ResetRequestForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ResetForm(FlaskForm):
    new = PasswordField(
        "New password", validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new", message="The passwords differ.")],
    )


class ConfirmForm(FlaskForm):
    """A button and its CSRF token."""
