"""OAuth 2.0 client credentials (RFC 6749 §4.4): an approved subscription's client id and secret
for a bearer token whose scope is the subscribed interface codes."""

from __future__ import annotations

import base64
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from adapters.crypto.client_secrets import hash_client_secret
from api.bootstrap import Services
from api.deps import ServicesDep
from api.schemas.platform import TokenResponse

router = APIRouter(prefix="/oauth", tags=["interface platform"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"


class TokenRequest(BaseModel):
    """The form fields (RFC 6749 §4.4.2); the client may authenticate with HTTP Basic instead."""

    grant_type: Literal["client_credentials"]
    client_id: str | None = Field(None, description="the subscription id (or HTTP Basic user)")
    client_secret: str | None = Field(None, description="the secret shown once after approval (or HTTP Basic password)")


class OAuthError(BaseModel):
    """RFC 6749 §5.2 error response."""

    error: str = Field(description="invalid_request / unsupported_grant_type / invalid_client")
    error_description: str


def _oauth_error(status: int, error: str, description: str, request: Request) -> JSONResponse:
    """RFC 6749 §5.2 error body (not problem+json: OAuth clients expect this shape)."""
    request.state.error_title = error
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="ledger", charset="UTF-8"'
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def _basic(request: Request) -> tuple[str | None, str | None]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return None, None
    return client_id, secret


@router.post("/token", response_model=TokenResponse, openapi_extra={"requestBody": {
    "required": True, "content": {FORM: {"schema": TokenRequest.model_json_schema()}},
}}, responses={
    400: {"model": OAuthError, "description": "invalid_request (e.g. a body that is not form-encoded) or unsupported_grant_type"},
    401: {"model": OAuthError, "description": "invalid_client"},
})
async def issue_token(request: Request, services: ServicesDep) -> JSONResponse:
    """Exchange a subscription's client id and secret (form fields or HTTP Basic) for a token.

    The form is read here rather than by FastAPI: any other body must get the OAuth error that
    names the problem (FastAPI would answer a malformed multipart body with its own 400)."""
    request.state.interface_code = "oauth.token"
    if _media_type(request) != FORM:
        return _oauth_error(400, "invalid_request", f"the body must be form-encoded ({FORM}, RFC 6749 §4.4.2), "
                                                    "with grant_type=client_credentials", request)
    form = await request.form()
    fields = {name: value if isinstance(value, str) else None for name, value in form.items()}
    return await run_in_threadpool(_issue, request, services, fields)


def _issue(request: Request, services: Services, form: dict[str, str | None]) -> JSONResponse:
    grant_type = form.get("grant_type")
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type" if grant_type else "invalid_request",
                            "grant_type must be client_credentials", request)
    basic_id, basic_secret = _basic(request)
    client_id, client_secret = form.get("client_id") or basic_id, form.get("client_secret") or basic_secret
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
