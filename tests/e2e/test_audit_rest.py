"""The auditor door: an aggregate's full event history with positions and attribution metadata."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap import Services
from tests.e2e.helpers import assert_problem, enterprise_login
from tests.conftest import add_user, login
from tests.support.builders import enterprise_body, risk_body
from tests.support.clock import FakeClock





def enterprise_user(client: TestClient, services: Services) -> tuple[str, dict[str, str]]:
    _, username, headers = enterprise_login(client, services)
    return username, headers


def test_history_lists_every_event_in_order_with_metadata(client: TestClient, services: Services, clock: FakeClock) -> None:
    username, ent = enterprise_user(client, services)
    auditor = login(client, add_user(services, "auditor"))
    request_ids = [f"req-{uuid.uuid4().hex}" for _ in range(4)]
    correlation = f"corr-{uuid.uuid4().hex}"

    def post(path: str, payload: dict[str, Any], i: int) -> dict[str, Any]:
        clock.advance(minutes=1)
        response = client.post(path, json=payload, headers=ent | {"X-Request-ID": request_ids[i], "X-Correlation-ID": correlation})
        assert response.status_code in (200, 201), response.text
        assert response.headers["x-request-id"] == request_ids[i]
        return response.json()

    created = post("/api/v1/risks", risk_body(), 0)
    risk_id = created["risk_id"]
    receipts = [
        created,
        post(f"/api/v1/risks/{risk_id}/level-changes",
             {"level": "significant", "reason": "复评", "changed_at": "2026-11-20T10:00:00+08:00"}, 1),
        post(f"/api/v1/risks/{risk_id}/level-changes",
             {"level": "low", "reason": "措施落实", "changed_at": "2026-11-21T10:00:00+08:00"}, 2),
        post(f"/api/v1/risks/{risk_id}/invalidation", {"reason": "设备拆除"}, 3),
    ]

    response = client.get(f"/api/v1/audit/aggregates/{risk_id}/events", headers=auditor)
    assert response.status_code == 200, response.text
    history = response.json()

    assert [e["type"] for e in history] == ["Risk.Identified", "Risk.Upgraded", "Risk.Downgraded", "Risk.Invalidated"]
    assert [e["version"] for e in history] == [1, 2, 3, 4]
    positions = [e["position"] for e in history]
    assert positions == sorted(positions) and len(set(positions)) == 4
    assert positions == [r["position"] for r in receipts]
    assert all(e["topic"].endswith(":" + e["type"]) for e in history)

    assert [e["business_time"][:10] for e in history[:3]] == ["2026-11-02", "2026-11-20", "2026-11-21"]
    recorded = [datetime.fromisoformat(e["recorded_at"]) for e in history]
    assert recorded == sorted(recorded) and len(set(recorded)) == 4  # the ledger clock moved a minute each time

    for i, event in enumerate(history):
        meta = event["metadata"]
        assert meta["actor"] == username  # the subscription the enterprise system called with
        assert meta["channel"] == "rest"
        assert meta["request_id"] == request_ids[i]
        assert meta["correlation_id"] == correlation
        assert datetime.fromisoformat(meta["recorded_at"]) == recorded[i]
        assert "meta" not in event["data"] and "at" not in event["data"]

    assert history[1]["data"]["reason"] == "复评"
    assert (history[1]["data"]["level"], history[1]["data"]["previous_level"]) == (3, 2)
    assert history[3]["data"]["reason"] == "设备拆除"


def test_without_headers_the_request_id_is_generated_and_used_as_correlation(client: TestClient, services: Services) -> None:
    _, ent = enterprise_user(client, services)
    response = client.post("/api/v1/risks", json=risk_body(), headers=ent)
    assert response.status_code == 201, response.text
    generated = response.headers["x-request-id"]
    assert generated

    auditor = login(client, add_user(services, "auditor"))
    (event,) = client.get(f"/api/v1/audit/aggregates/{response.json()['risk_id']}/events", headers=auditor).json()
    assert event["metadata"]["request_id"] == generated
    assert event["metadata"]["correlation_id"] == generated
    assert event["metadata"]["causation_id"] is None


def test_admin_commands_are_recorded_on_the_admin_channel(client: TestClient, services: Services) -> None:
    admin_name = add_user(services, "admin")
    admin = login(client, admin_name)
    body = enterprise_body()
    response = client.post("/api/v1/enterprises", json=body, headers=admin | {"X-Causation-ID": "cause-1"})
    assert response.status_code == 201, response.text
    history = client.get(f"/api/v1/audit/aggregates/{response.json()['enterprise_id']}/events", headers=admin).json()
    assert [e["type"] for e in history] == ["Enterprise.Registered"]
    meta = history[0]["metadata"]
    assert (meta["actor"], meta["channel"], meta["causation_id"]) == (f"user:{admin_name}", "admin", "cause-1")
    assert history[0]["data"]["credit_code"] == body["credit_code"]
    assert history[0]["business_time"] == "2026-10-01T09:00:00+08:00"


def test_unknown_aggregate_is_404_and_a_malformed_id_422(client: TestClient, services: Services) -> None:
    auditor = login(client, add_user(services, "auditor"))
    assert_problem(client.get(f"/api/v1/audit/aggregates/{uuid.uuid4()}/events", headers=auditor), 404)
    assert_problem(client.get("/api/v1/audit/aggregates/not-a-uuid/events", headers=auditor), 422)
    assert_problem(client.get(f"/api/v1/audit/aggregates/{uuid.uuid4()}/events"), 401)
