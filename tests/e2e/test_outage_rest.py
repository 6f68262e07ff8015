"""With the database unreachable every kind of REST route answers 503 problem+json with
Retry-After (never 500), the log says so once (and once more when it is back) instead of a
traceback per request, and the first request after the outage succeeds."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services
from tests.conftest import add_user, login
from tests.e2e.helpers import assert_problem, client_token, register_enterprise
from tests.support.builders import enterprise_body, risk_body
from tests.support.outage import database_down



def test_every_kind_of_route_answers_503_while_the_database_is_down(
    private: tuple[str, Services], caplog: pytest.LogCaptureFixture
) -> None:
    url, services = private
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        admin = login(client, add_user(services, "admin"))
        credit_code = register_enterprise(services)
        subscription_id, system = client_token(client, services, credit_code)
        created = client.post("/api/v1/risks", json=risk_body(), headers=system)
        assert created.status_code == 201, created.text
        risk_id = created.json()["risk_id"]
        secret_form = {"grant_type": "client_credentials", "client_id": subscription_id, "client_secret": "wrong"}

        calls: dict[str, Any] = {
            "command": lambda: client.post("/api/v1/enterprises", json=enterprise_body(), headers=admin),
            "read": lambda: client.get(f"/api/v1/enterprises/{credit_code}", headers=admin),
            "login": lambda: client.post("/api/v1/sessions", json={"username": "nobody", "password": "long enough"}),
            "call-log search": lambda: client.get("/api/v1/call-logs", headers=admin),
            "call-log export": lambda: client.get("/api/v1/call-logs/export.xlsx", headers=admin),
            "audit": lambda: client.get(f"/api/v1/audit/aggregates/{risk_id}/events", headers=admin),
            "catalog": lambda: client.get("/api/v1/interfaces", headers=admin),
            "subscriptions": lambda: client.get("/api/v1/subscriptions", headers=admin),
            "token endpoint": lambda: client.post("/api/v1/oauth/token", data=secret_form),
            "client-token read": lambda: client.get(f"/api/v1/risks/{risk_id}", headers=system),
            "client-token command": lambda: client.post("/api/v1/risks", json=risk_body(), headers=system),
            "healthz": lambda: client.get("/healthz"),
        }
        with caplog.at_level(logging.INFO):
            caplog.clear()
            with database_down(url):
                for kind, call in calls.items():
                    for _ in range(3):
                        response = call()
                        assert response.status_code == 503, f"{kind}: {response.status_code} {response.text}"
                        assert_problem(response, 503)
                        assert int(response.headers["retry-after"]) >= 1, kind
            first = calls["command"]()
            assert first.status_code == 201, f"the first request after the outage: {first.status_code} {first.text}"
            for kind, call in calls.items():  # and every route is itself again (login and token: wrong secrets)
                response = call()
                assert response.status_code < 500, f"{kind} after the outage: {response.status_code} {response.text}"

    api_lines = [r.getMessage() for r in caplog.records if r.name == "ledger.availability" and "(api," in r.getMessage()]
    assert len([line for line in api_lines if "database unreachable" in line]) == 1, api_lines
    assert len([line for line in api_lines if "reachable again" in line]) == 1, api_lines
    assert f"{3 * len(calls)} requests refused with 503" in api_lines[-1], api_lines
    tracebacks = [r for r in caplog.records if r.exc_info is not None]
    assert not tracebacks, [r.getMessage() for r in tracebacks]
    assert all(r.name.startswith("ledger") or r.levelno < logging.WARNING for r in caplog.records), \
        [(r.name, r.getMessage()) for r in caplog.records if not r.name.startswith("ledger")]
