"""``GET /.well-known/civic-keys``: every public signing key, its use, id and validity period.

Public and unauthenticated: auditors, citizens and anyone holding a receipt,
a release or an exported audit log fetch it (or a copy kept offline) to pick
the key a signature names. See :mod:`civicdata.signing.history` for the format.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from civicdata.request_scope import current_platform

bp = Blueprint("civic_keys", __name__)


@bp.get("/.well-known/civic-keys")
def civic_keys() -> ResponseReturnValue:
    response = jsonify(current_platform().signing.history(refresh=True).document())
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response
