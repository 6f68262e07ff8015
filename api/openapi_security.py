"""Security schemes of the published OpenAPI document, so that standard clients (and the Authorize
button in /docs) know how to authenticate each operation.

Authentication is done by one flat dependency per route (api/deps.py) rather than by FastAPI's
security classes, which would add a nested dependency to every request; so the requirements are
declared here, from what each operation is:
- an enterprise interface (`x-interface-code`): a client-credentials token whose scope names it;
- a read of the enterprise's own risks, hazards and inspections: that token or a user's session;
- the login and the token endpoint themselves, and /healthz: nothing;
- everything else: a user's session token (POST /api/v1/sessions).
tests/e2e/test_openapi_docs.py checks each declaration against what the app answers."""

from __future__ import annotations

from typing import Any

from api.interfaces import EXTENSION, NAMES

SESSION = "sessionToken"
CLIENT = "clientCredentials"
TOKEN_URL = "/api/v1/oauth/token"
OPEN = {("post", "/api/v1/sessions"), ("post", TOKEN_URL), ("get", "/healthz")}
CLIENT_READS = ("/api/v1/risks/", "/api/v1/hazards/", "/api/v1/inspections/")
METHODS = {"get", "put", "post", "patch", "delete"}


def security_schemes() -> dict[str, Any]:
    return {
        SESSION: {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "A user's session: POST /api/v1/sessions with username and password.",
        },
        CLIENT: {
            "type": "oauth2",
            "description": "An enterprise system: the client id and secret of an approved subscription "
                           "(OAuth 2.0 client credentials, RFC 6749 §4.4; form fields or HTTP Basic).",
            "flows": {"clientCredentials": {
                "tokenUrl": TOKEN_URL,
                "scopes": {code: f"{zh} ({en})" for code, (zh, en, _) in NAMES.items()},
            }},
        },
    }


def requirement(method: str, path: str, operation: dict[str, Any]) -> list[dict[str, list[str]]]:
    """The operation's `security`: alternatives, any one of which is enough ([] = none needed)."""
    if (method, path) in OPEN:
        return []
    code = operation.get(EXTENSION)
    if code is not None:
        return [{CLIENT: [code]}]
    if method == "get" and path.startswith(CLIENT_READS):
        return [{CLIENT: []}, {SESSION: []}]
    return [{SESSION: []}]


def add_security(document: dict[str, Any]) -> None:
    document.setdefault("components", {})["securitySchemes"] = security_schemes()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method in METHODS:
                operation["security"] = requirement(method, path, operation)
