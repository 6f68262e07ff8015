"""What the end-to-end tests share: problem+json checks and an enterprise with a logged-in user."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap import Services
from adapters.crypto.client_secrets import hash_client_secret, new_client_secret
from api.interfaces import NAMES
from domain.enterprises.commands import EnterpriseSpec
from domain.subscriptions.commands import Application
from tests.conftest import add_user, cli_context, login
from tests.support.builders import enterprise_body

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status
    assert body["type"] and body["title"] and body["detail"]
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    return {".".join(str(part) for part in e["loc"] if part != "body") for e in body["errors"]}


def register_enterprise(services: Services, credit_code: str | None = None, region_code: str = "410185") -> str:
    """Register a fresh enterprise directly (as the CLI would); return its credit code."""
    body = enterprise_body(credit_code, region_code=region_code)
    spec = EnterpriseSpec(
        credit_code=body["credit_code"], name=body["name"], region_code=region_code, industry=body["industry"],
        supervision_level=body["supervision_level"], safety_officer_name=body["safety_officer"]["name"],
        safety_officer_mobile=body["safety_officer"]["mobile"], registered_at=services.clock(),
    )
    services.write.enterprises.register(cli_context(services), spec)
    return body["credit_code"]


ALL_INTERFACES = tuple(NAMES)


def client_token(
    client: TestClient, services: Services, credit_code: str, interfaces: tuple[str, ...] = ALL_INTERFACES
) -> tuple[str, dict[str, str]]:
    """An approved subscription of the enterprise and a client-credentials token for it:
    (subscription_id, auth headers). Applied and approved directly, exchanged over HTTP."""
    application = Application(interfaces, "测试对接", "张伟", "13800138000")
    subscription_id = services.write.subscriptions.apply(cli_context(services), credit_code, application).aggregate_id
    secret = new_client_secret()
    services.write.subscriptions.approve(cli_context(services), subscription_id, hash_client_secret(secret))
    response = client.post("/api/v1/oauth/token", data={
        "grant_type": "client_credentials", "client_id": str(subscription_id), "client_secret": secret,
    })
    assert response.status_code == 200, response.text
    return str(subscription_id), {"Authorization": f"Bearer {response.json()['access_token']}"}


def enterprise_login(client: TestClient, services: Services) -> tuple[str, str, dict[str, str]]:
    """A fresh enterprise calling the interfaces as an enterprise system does (client credentials of
    an approved subscription to every interface): (credit_code, actor in event metadata, headers)."""
    credit_code = register_enterprise(services)
    subscription_id, headers = client_token(client, services, credit_code)
    return credit_code, f"subscription:{subscription_id}", headers


def portal_login(client: TestClient, services: Services, credit_code: str) -> dict[str, str]:
    """An enterprise user's session (the portal: catalog, subscriptions)."""
    return login(client, add_user(services, "enterprise", credit_code=credit_code))
