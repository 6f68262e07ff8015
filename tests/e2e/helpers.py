"""What the end-to-end tests share: problem+json checks and an enterprise with a logged-in user."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap import Services
from domain.enterprises.commands import EnterpriseSpec
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


def enterprise_login(client: TestClient, services: Services) -> tuple[str, str, dict[str, str]]:
    """A fresh enterprise and one logged-in user of it: (credit_code, username, auth headers)."""
    credit_code = register_enterprise(services)
    username = add_user(services, "enterprise", credit_code=credit_code)
    return credit_code, username, login(client, username)
