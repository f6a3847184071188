"""``GET /api/v1/whoami``: what the presented OAuth token allows (any client role)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from civicdata.oauth.protect import current_grant, require_oauth
from civicdata.oauth.scopes import CLIENT_ROLES

blp = Blueprint("whoami", __name__, url_prefix="/whoami", description="The caller's OAuth grant")


class WhoAmIOut(Schema):
    client_id = fields.String()
    role = fields.String()
    department = fields.String(allow_none=True)
    scopes = fields.List(fields.String())
    purposes = fields.List(fields.String())
    acts_for_citizen = fields.Boolean()


@blp.route("")
@blp.response(200, WhoAmIOut)
@require_oauth(roles=CLIENT_ROLES)
def whoami() -> Any:
    """The client, its role and department, and the scopes of the bearer token."""
    grant = current_grant()
    return {
        "client_id": grant.client_id,
        "role": grant.role,
        "department": grant.department,
        "scopes": sorted(grant.scopes),
        "purposes": grant.purposes,
        "acts_for_citizen": grant.citizen_id is not None,
    }
