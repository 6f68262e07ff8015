"""/docs works without the internet, the OpenAPI document tells standard clients how to
authenticate, and every request example in it is accepted by the real app."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap import Services
from api.interfaces import EXTENSION
from api.openapi_examples import EXAMPLES, example
from tests.conftest import add_user, login
from tests.e2e.helpers import client_token, register_enterprise

ABSOLUTE = re.compile(r"""(?:https?:)?//[a-z0-9.-]+""", re.IGNORECASE)
REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|\burl\s*:\s*["']([^"']+)["']|spec-url=["']([^"']+)["']""")
ANY_ID = "00000000-0000-0000-0000-000000000000"


def referenced(html: str) -> list[str]:
    return [next(group for group in match.groups() if group) for match in REFERENCE.finditer(html)]


def test_docs_pages_load_nothing_from_another_host(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        response = client.get(page)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        assert ABSOLUTE.findall(response.text) == [], page
        assets = referenced(response.text)
        assert "/openapi.json" in assets, assets
        assert any(asset.endswith(".js") for asset in assets), assets
        for asset in assets:
            fetched = client.get(asset)
            assert fetched.status_code == 200, asset
            assert len(fetched.content) > 1000 or asset == "/openapi.json", asset
    assert "validatorUrl" in client.get("/docs").text  # set to null: no call to validator.swagger.io
    assert client.get("/docs/oauth2-redirect").status_code == 200


def test_the_document_declares_session_and_client_credentials_schemes(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["sessionToken"] == schemes["sessionToken"] | {"type": "http", "scheme": "bearer"}
    flow = schemes["clientCredentials"]["flows"]["clientCredentials"]
    assert schemes["clientCredentials"]["type"] == "oauth2"
    assert flow["tokenUrl"] == "/api/v1/oauth/token" and "post" in document["paths"][flow["tokenUrl"]]
    assert {"risk.add", "hazard.maintain", "inspection.record"} <= set(flow["scopes"])

    paths = document["paths"]
    assert paths["/api/v1/risks"]["post"]["security"] == [{"clientCredentials": ["risk.add"]}]
    assert paths["/api/v1/hazards/{hazard_id}/acceptance"]["post"]["security"] == [{"clientCredentials": ["hazard.maintain"]}]
    assert {"clientCredentials": []} in paths["/api/v1/risks/{risk_id}"]["get"]["security"]
    assert paths["/api/v1/enterprises"]["post"]["security"] == [{"sessionToken": []}]
    assert paths["/api/v1/sessions"]["post"]["security"] == []
    assert paths["/api/v1/oauth/token"]["post"]["security"] == []


def test_the_document_declares_the_answers_fastapi_leaves_out(client: TestClient) -> None:
    create = client.get("/openapi.json").json()["paths"]["/api/v1/risks"]["post"]["responses"]
    assert set(create["422"]["content"]) == {"application/problem+json"}  # what api/errors.py sends
    assert create["200"]["content"] == create["201"]["content"]  # an identical repeat
    assert {"400", "413", "429", "503"} <= set(create)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, methods in document["paths"].items()
            for method, operation in methods.items()]


def call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> Any:
    concrete = re.sub(r"\{[^}]+\}", ANY_ID, path)
    body = {"json": {}} if method in ("post", "put", "patch") else {}
    return client.request(method.upper(), concrete, headers=headers, **body)


def test_the_declared_security_is_what_the_app_enforces(client: TestClient, services: Services) -> None:
    """Secured operations refuse a call without a token (401); those that declare the client
    credentials scheme accept a client token (whatever else they then answer)."""
    _, system = client_token(client, services, register_enterprise(services))
    for method, path, operation in operations(client.get("/openapi.json").json()):
        if operation["security"] == []:
            assert call(client, method, path, {}).status_code != 401, (method, path)
            continue
        assert call(client, method, path, {}).status_code == 401, (method, path)
        if any("clientCredentials" in alternative for alternative in operation["security"]):
            assert call(client, method, path, system).status_code not in (401, 403), (method, path)


def test_every_enterprise_command_has_a_request_example(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    commands = [(method, path) for method, path, operation in operations(document)
                if "requestBody" in operation and (EXTENSION in operation or path.startswith("/api/v1/enterprises"))]
    assert len(commands) >= 11
    for method, path in commands:
        examples = document["paths"][path][method]["requestBody"]["content"]["application/json"].get("examples")
        assert examples, (method, path)
    assert "rectification_plan" in example("post", "/api/v1/hazards")  # the six-element plan of a major hazard


def test_every_example_is_accepted_by_the_app(client: TestClient, services: Services) -> None:
    """Posted in the order of a real flow, each example answers 2xx (so they cannot rot)."""
    admin = login(client, add_user(services, "admin"))
    posted: set[tuple[str, str]] = set()

    def send(method: str, path: str, headers: dict[str, str], body: dict[str, Any] | None = None, **ids: str) -> Any:
        response = client.request(method.upper(), path.format(**ids), headers=headers,
                                  json=example(method, path) if body is None else body)
        assert 200 <= response.status_code < 300, (method, path, response.text)
        posted.add((method, path))
        return response.json()

    send("post", "/api/v1/enterprises", admin)
    credit_code = example("post", "/api/v1/enterprises")["credit_code"]
    send("patch", "/api/v1/enterprises/{credit_code}", admin, credit_code=credit_code)
    portal = login(client, add_user(services, "enterprise", credit_code=credit_code))
    send("post", "/api/v1/subscriptions", portal)
    _, system = client_token(client, services, credit_code)

    risk_id = send("post", "/api/v1/risks", system)["risk_id"]
    for step in ("level-changes", "measure-revisions", "invalidation"):
        send("post", f"/api/v1/risks/{{risk_id}}/{step}", system, risk_id=risk_id)
    hazard_id = send("post", "/api/v1/hazards", system)["hazard_id"]
    for step in ("rectification", "acceptance"):
        send("post", f"/api/v1/hazards/{{hazard_id}}/{step}", system, hazard_id=hazard_id)
    duplicate = send("post", "/api/v1/hazards", system, example("post", "/api/v1/hazards") | {"hazard_code": "YH-2026-002"})
    send("post", "/api/v1/hazards/{hazard_id}/invalidation", system, hazard_id=duplicate["hazard_id"])
    send("post", "/api/v1/inspections", system)
    send("post", "/api/v1/enterprises/{credit_code}/deregistration", admin, credit_code=credit_code)
    assert posted == set(EXAMPLES)
