"""OAuth 2.0 client credentials (RFC 6749 §4.4): an approved subscription's client id and secret
for a bearer token whose scope is the subscribed interface codes."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from adapters.crypto.client_secrets import hash_client_secret
from api.deps import ServicesDep
from api.schemas.platform import TokenResponse

router = APIRouter(prefix="/oauth", tags=["interface platform"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(status: int, error: str, description: str, request: Request) -> JSONResponse:
    """RFC 6749 §5.2 error body (not problem+json: OAuth clients expect this shape)."""
    request.state.error_title = error
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="ledger", charset="UTF-8"'
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


def _basic(request: Request) -> tuple[str | None, str | None]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return None, None
    return client_id, secret


@router.post("/token", response_model=TokenResponse, responses={400: {}, 401: {}})
def issue_token(
    request: Request,
    services: ServicesDep,
    grant_type: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    """Exchange a subscription's client id and secret (form fields or HTTP Basic) for a token."""
    request.state.interface_code = "oauth.token"
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type" if grant_type else "invalid_request",
                            "grant_type must be client_credentials", request)
    basic_id, basic_secret = _basic(request)
    client_id, client_secret = client_id or basic_id, client_secret or basic_secret
    if not client_id or not client_secret:
        return _oauth_error(400, "invalid_request", "client_id and client_secret are required", request)
    subscription = services.write.subscriptions.find(client_id)
    if subscription is not None:  # known client: the call log names it even when refused
        request.state.subscription_id = str(subscription.id)
        request.state.enterprise = subscription.credit_code
    if subscription is None or not subscription.accepts_secret_hash(hash_client_secret(client_secret), services.clock()):
        return _oauth_error(401, "invalid_client", "unknown client, wrong secret, or subscription not approved", request)
    scope = " ".join(subscription.interfaces)
    claims = {"role": "enterprise", "ent": subscription.credit_code, "sid": str(subscription.id), "scope": scope,
              "typ": "client", "kv": subscription.key_version}
    token = services.client_tokens.issue(f"subscription:{subscription.id}", claims, services.clock())
    body = TokenResponse(access_token=token, expires_in=int(services.client_tokens.lifetime.total_seconds()), scope=scope)
    return JSONResponse(body.model_dump(), headers=NO_STORE)
