"""Every call made with a subscription's client token is in the call log, reads included (the
integration guide promises it), and so is every call to the token endpoint."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.bootstrap import Services
from tests.conftest import add_user, login
from tests.e2e.helpers import enterprise_login
from tests.support.builders import hazard_body, inspection_body, risk_body


def logged(client: TestClient, services: Services, credit_code: str) -> list[tuple[str, str, str, int]]:
    assert services.call_log.flush(timeout=30)
    admin = login(client, add_user(services, "admin"))
    items = client.get("/api/v1/call-logs", params={"enterprise": credit_code, "limit": 100}, headers=admin).json()["items"]
    return sorted((i["interface_code"], i["method"], i["path"], i["status"]) for i in items)


def test_client_token_reads_are_logged_under_their_route(client: TestClient, services: Services) -> None:
    credit_code, _, system = enterprise_login(client, services)
    risk_id = client.post("/api/v1/risks", json=risk_body(), headers=system).json()["risk_id"]
    hazard_id = client.post("/api/v1/hazards", json=hazard_body(), headers=system).json()["hazard_id"]
    inspection_id = client.post("/api/v1/inspections", json=inspection_body(), headers=system).json()["inspection_id"]
    for path in (f"/api/v1/risks/{risk_id}", f"/api/v1/hazards/{hazard_id}", f"/api/v1/inspections/{inspection_id}"):
        assert client.get(path, headers=system).status_code == 200
    missing = "/api/v1/risks/00000000-0000-0000-0000-000000000000"
    assert client.get(missing, headers=system).status_code == 404

    reads = [row for row in logged(client, services, credit_code) if row[1] == "GET"]
    assert reads == sorted([
        ("GET /api/v1/risks/{risk_id}", "GET", f"/api/v1/risks/{risk_id}", 200),
        ("GET /api/v1/risks/{risk_id}", "GET", missing, 404),
        ("GET /api/v1/hazards/{hazard_id}", "GET", f"/api/v1/hazards/{hazard_id}", 200),
        ("GET /api/v1/inspections/{inspection_id}", "GET", f"/api/v1/inspections/{inspection_id}", 200),
    ])


def test_client_token_calls_outside_the_interfaces_are_logged_too(client: TestClient, services: Services) -> None:
    credit_code, _, system = enterprise_login(client, services)
    assert client.get("/api/v1/subscriptions", headers=system).status_code in (200, 403)
    graphql = client.post("/graphql", json={"query": "{ __typename }"}, headers=system)
    rows = logged(client, services, credit_code)
    assert ("GET /api/v1/subscriptions", "GET", "/api/v1/subscriptions") in [r[:3] for r in rows]
    assert ("POST /graphql", "POST", "/graphql", graphql.status_code) in rows


def test_session_reads_are_not_logged(client: TestClient, services: Services) -> None:
    """The call log is the interface platform's: portal users' own reads are not interface calls."""
    credit_code, _, system = enterprise_login(client, services)
    risk_id = client.post("/api/v1/risks", json=risk_body(), headers=system).json()["risk_id"]
    portal = login(client, add_user(services, "enterprise", credit_code=credit_code))
    assert client.get(f"/api/v1/risks/{risk_id}", headers=portal).status_code == 200
    assert [r for r in logged(client, services, credit_code) if r[1] == "GET"] == []
