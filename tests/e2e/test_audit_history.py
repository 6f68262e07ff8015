"""The auditor's history across aggregates, state as of a position or a time, and the link between
call-log entries and events (issue 13), end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services, bootstrap
from api.settings import Settings
from tests.conftest import add_user, login
from tests.e2e.helpers import assert_problem, enterprise_login
from tests.support.builders import hazard_body, risk_body
from tests.support.clock import FakeClock
from tests.support.outage import database_down
from tests.support.postgres import fresh_database

EVENTS = "/api/v1/audit/events"


def catch_up(services: Services) -> None:
    services.call_log.flush(5)
    runner = services.new_projection_runner()
    try:
        runner.catch_up()
    finally:
        runner.close()


def post(client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str], **extra: str) -> dict[str, Any]:
    response = client.post(path, json=body, headers=headers | extra)
    assert response.status_code in (200, 201), response.text
    return response.json()


def history(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get(EVENTS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def all_pages(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items, after = [], 0
    while True:
        page = history(client, headers, after_position=after, **params)
        items += page["items"]
        if page["next_after_position"] is None:
            return items
        after = page["next_after_position"]


@pytest.fixture
def story(client: TestClient, services: Services, clock: FakeClock) -> dict[str, Any]:
    """Enterprise A identifies a risk, raises its level and registers a hazard; B identifies a risk."""
    a, actor_a, system_a = enterprise_login(client, services)
    b, _, system_b = enterprise_login(client, services)
    clock.advance(minutes=1)
    started = clock()
    request = f"req-{uuid.uuid4().hex}"
    risk = post(client, "/api/v1/risks", risk_body(), system_a, **{"X-Request-ID": request})
    clock.advance(minutes=1)
    upgraded = post(client, f"/api/v1/risks/{risk['risk_id']}/level-changes",
                    {"level": "significant", "reason": "复评", "changed_at": "2026-11-20T10:00:00+08:00"}, system_a)
    clock.advance(minutes=1)
    hazard = post(client, "/api/v1/hazards", hazard_body(), system_a)
    clock.advance(minutes=1)
    other = post(client, "/api/v1/risks", risk_body(), system_b)
    catch_up(services)
    return {"a": a, "b": b, "actor_a": actor_a, "risk": risk, "upgraded": upgraded, "hazard": hazard, "other": other,
            "request": request, "started": started}


def test_history_of_one_enterprise_in_log_order_paged_with_metadata(client: TestClient, services: Services,
                                                                    story: dict[str, Any]) -> None:
    auditor = login(client, add_user(services, "auditor"))
    items = all_pages(client, auditor, credit_code=story["a"], limit=2)
    assert all(i["credit_code"] == story["a"] for i in items)
    positions = [i["position"] for i in items]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    types = [i["type"] for i in items]
    assert types[0] == "Enterprise.Registered"  # the enterprise itself, then its subscription, risks, hazards
    assert {"Subscription.Applied", "Risk.Identified", "Risk.Upgraded", "Hazard.Registered"} <= set(types)
    assert story["other"]["position"] not in positions  # B's risk
    assert items == history(client, auditor, credit_code=story["a"], limit=1000)["items"]

    [identified] = [i for i in items if i["position"] == story["risk"]["position"]]
    assert identified["aggregate_id"] == story["risk"]["risk_id"]
    assert (identified["actor"], identified["channel"], identified["request_id"]) == (story["actor_a"], "rest", story["request"])
    assert identified["correlation_id"] == story["request"] and identified["causation_id"] is None
    assert identified["business_time"].startswith("2026-11-02") and identified["recorded_at"]
    assert identified["call_log_id"] is not None
    page = history(client, auditor, credit_code=story["a"])
    assert page["indexed_through"] < page["head"]  # the auditor's own user came after the catch-up: not indexed yet
    catch_up(services)
    page = history(client, auditor, credit_code=story["a"])
    assert page["indexed_through"] == page["head"] and page["next_after_position"] is None


def test_filters_by_actor_type_and_recorded_time(client: TestClient, services: Services, story: dict[str, Any]) -> None:
    auditor = login(client, add_user(services, "auditor"))
    by_actor = all_pages(client, auditor, actor=story["actor_a"])
    assert [i["position"] for i in by_actor] == [story[k]["position"] for k in ("risk", "upgraded", "hazard")]
    upgrades = all_pages(client, auditor, credit_code=story["a"], type="Risk.Upgraded")
    assert [i["position"] for i in upgrades] == [story["upgraded"]["position"]]
    assert all_pages(client, auditor, credit_code=story["b"], type="Risk.Upgraded") == []
    start = story["started"]
    window = all_pages(client, auditor, credit_code=story["a"], **{
        "from": (start + timedelta(seconds=30)).isoformat(), "to": (start + timedelta(minutes=2, seconds=30)).isoformat()})
    assert [i["position"] for i in window] == [story["upgraded"]["position"], story["hazard"]["position"]]


def test_exports_hold_the_same_rows(client: TestClient, services: Services, story: dict[str, Any]) -> None:
    auditor = login(client, add_user(services, "auditor"))
    items = all_pages(client, auditor, credit_code=story["a"])
    jsonl = client.get(f"{EVENTS}/export.jsonl", params={"credit_code": story["a"]}, headers=auditor)
    assert jsonl.status_code == 200 and jsonl.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in jsonl.text.splitlines()] == items
    xlsx = client.get(f"{EVENTS}/export.xlsx", params={"credit_code": story["a"]}, headers=auditor)
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["x-audit-rows"] == str(len(items))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = [r for r in sheet.iter_rows(values_only=True)]
    header = rows.index(next(r for r in rows if r and r[0] == "位置 position"))
    assert [r[0] for r in rows[header + 1:]] == [i["position"] for i in items]
    assert [r[1] for r in rows[header + 1:]] == [i["type"] for i in items]
    empty = client.get(f"{EVENTS}/export.jsonl", params={"credit_code": "91410000NOBODY0000"}, headers=auditor)
    assert empty.status_code == 200 and empty.text == ""


def test_call_log_entry_to_its_events_and_back(client: TestClient, services: Services, story: dict[str, Any]) -> None:
    admin = login(client, add_user(services, "admin"))
    calls = client.get("/api/v1/call-logs", params={"enterprise": story["a"], "limit": 100}, headers=admin).json()["items"]
    [call] = [c for c in calls if c["request_id"] == story["request"]]
    events = client.get(f"/api/v1/audit/call-logs/{call['id']}/events", headers=admin)
    assert events.status_code == 200, events.text
    assert [(e["position"], e["type"]) for e in events.json()] == [(story["risk"]["position"], "Risk.Identified")]
    auditor = login(client, add_user(services, "auditor"))
    [row] = [i for i in history(client, auditor, credit_code=story["a"])["items"] if i["position"] == story["risk"]["position"]]
    assert row["call_log_id"] == call["id"]
    token_calls = [c for c in calls if c["request_id"] != story["request"] and c["interface_code"] == "oauth_token"]
    for c in token_calls[:1]:  # a call that changed nothing produced no event
        assert client.get(f"/api/v1/audit/call-logs/{c['id']}/events", headers=auditor).json() == []
    assert_problem(client.get("/api/v1/audit/call-logs/999999999/events", headers=auditor), 404)
    assert_problem(client.get("/api/v1/audit/call-logs/0/events", headers=auditor), 422)
    assert_problem(client.get("/api/v1/audit/call-logs/x/events", headers=auditor), 422)


def test_state_as_of_position_recorded_time_and_business_time(client: TestClient, services: Services,
                                                              story: dict[str, Any]) -> None:
    auditor = login(client, add_user(services, "auditor"))
    risk_id, first, second = story["risk"]["risk_id"], story["risk"]["position"], story["upgraded"]["position"]
    url = f"/api/v1/audit/aggregates/{risk_id}/state"

    def state(**params: Any) -> dict[str, Any]:
        response = client.get(url, params=params, headers=auditor)
        assert response.status_code == 200, response.text
        return response.json()

    then = state(at_position=second - 1)
    assert (then["version"], then["position"], then["current_version"]) == (1, first, 2)
    assert then["state"]["level"] == 2 and then["as_of"] == {"at_position": second - 1}
    now = state(at_position=second)
    assert (now["version"], now["position"], now["state"]["level"]) == (2, second, 3)
    assert state()["version"] == 2 and "head" in state()["as_of"]
    recorded = state(at_time=(story["started"] + timedelta(seconds=30)).isoformat())
    assert (recorded["version"], recorded["recorded_at"]) == (1, story["started"].isoformat())
    assert state(at_business_time="2026-11-10T00:00:00+08:00")["version"] == 1
    assert state(at_business_time="2026-11-20T10:00:00+08:00")["version"] == 2
    assert_problem(client.get(url, params={"at_position": first - 1}, headers=auditor), 404)
    assert_problem(client.get(url, params={"at_business_time": "2026-01-01T00:00:00+08:00"}, headers=auditor), 404)
    assert_problem(client.get(url, params={"at_position": 1, "at_time": "2026-11-01T00:00:00+08:00"}, headers=auditor), 422)
    assert_problem(client.get(url, params={"at_time": "2026-11-01T00:00:00"}, headers=auditor), 422)
    assert_problem(client.get(url, params={"at_time": "yesterday"}, headers=auditor), 422)
    assert_problem(client.get(url, params={"at_position": -1}, headers=auditor), 422)
    assert_problem(client.get(f"/api/v1/audit/aggregates/{uuid.uuid4()}/state", headers=auditor), 404)
    assert_problem(client.get("/api/v1/audit/aggregates/nope/state", headers=auditor), 422)


def test_only_auditors_and_admins(client: TestClient, services: Services, story: dict[str, Any]) -> None:
    supervisor = login(client, add_user(services, "supervisor", region_code="410185"))
    enterprise = login(client, add_user(services, "enterprise", credit_code=story["a"]))
    risk_id = story["risk"]["risk_id"]
    for headers in (supervisor, enterprise):
        for path in (EVENTS, f"{EVENTS}/export.xlsx", f"{EVENTS}/export.jsonl", f"/api/v1/audit/aggregates/{risk_id}/state",
                     "/api/v1/audit/call-logs/1/events"):
            assert_problem(client.get(path, params={"credit_code": story["a"]}, headers=headers), 403)
    assert_problem(client.get(EVENTS), 401)
    assert client.get(EVENTS, headers=login(client, add_user(services, "admin"))).status_code == 200


@pytest.mark.parametrize("params", [
    {"credit_code": "9141\x00"}, {"actor": "user:\x1b[31m"}, {"type": "Risk.\nUpgraded"},
    {"from": "2026-13-01T00:00:00+08:00"}, {"from": "2026-11-01T00:00:00"}, {"to": "not a time"},
    {"from": "2026-11-02T00:00:00+08:00", "to": "2026-11-01T00:00:00+08:00"},
    {"limit": 10**6}, {"limit": 0}, {"after_position": 2**70}, {"after_position": -1}, {"credit_code": "x" * 19},
    {"actor": "a" * 201}, {"credit_code": ""},
])
def test_hostile_history_inputs_are_422(client: TestClient, services: Services, params: dict[str, Any]) -> None:
    auditor = login(client, add_user(services, "auditor"))
    paths = [EVENTS] if "limit" in params else [EVENTS, f"{EVENTS}/export.jsonl", f"{EVENTS}/export.xlsx"]
    for path in paths:
        assert_problem(client.get(path, params=params, headers=auditor), 422)


def test_unknown_filters_find_nothing(client: TestClient, services: Services) -> None:
    auditor = login(client, add_user(services, "auditor"))
    catch_up(services)
    page = history(client, auditor, credit_code="91410000NOBODY0000", actor="user:nobody")
    assert page["items"] == [] and page["next_after_position"] is None


@pytest.fixture
def private(clock: FakeClock) -> Iterator[tuple[str, Services]]:
    with fresh_database("ledger_audit_outage") as url:
        services = bootstrap(Settings(database_url=url, jwt_secret="test-secret-" + uuid.uuid4().hex, projections="off",
                                      subscription_check_seconds=0, user_check_seconds=0), clock=clock)
        try:
            yield url, services
        finally:
            services.close()


def test_database_stopped_is_503(private: tuple[str, Services]) -> None:
    url, services = private
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        auditor = login(client, add_user(services, "auditor"))
        catch_up(services)
        user_id = history(client, auditor)["items"][0]["aggregate_id"]
        paths = [EVENTS, f"{EVENTS}/export.jsonl", f"{EVENTS}/export.xlsx", f"/api/v1/audit/aggregates/{user_id}/state",
                 "/api/v1/audit/call-logs/1/events"]
        with database_down(url):
            for path in paths:
                assert_problem(client.get(path, headers=auditor), 503)
        assert client.get(EVENTS, headers=auditor).status_code == 200
