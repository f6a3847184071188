"""Liveness and readiness probes for load balancers."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from civicdata.errors import problem
from civicdata.request_scope import db_session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is alive."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """The process can reach its database."""
    try:
        db_session().execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return problem(503, "Service Unavailable", f"database unreachable: {type(exc).__name__}")
    return jsonify(status="ready", database="ok")
