"""OAuth 2.0 and OpenID Connect: the authorization server and its resource guard.

Wiring (grants, endpoints, token storage) lives apart from the HTTP routes, as
in Authlib's example server: :mod:`.server` builds the Authlib server,
:mod:`.routes` only parses, calls it and formats. API blueprints protect their
routes with :func:`civicdata.oauth.protect.require_oauth`.
"""
