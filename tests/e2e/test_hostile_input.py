"""Hostile input meets the data standard at the door: control characters in any text, path or query
parameter, over-long lists and oversize or malformed bodies are refused with problem+json (422 or
413), and nothing is written. Where the database cannot matter (the URL and the body never reach
it), a test runs on SQLite only."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Services
from api.schemas.risks import MAX_HAZARD_FACTORS
from tests.conftest import add_user, login
from tests.e2e.helpers import assert_problem, enterprise_login
from tests.support.builders import hazard_body, risk_body

sqlite_only = pytest.mark.parametrize("services", ["sqlite"], indirect=True)

MB = 1024 * 1024


def locs(body: dict[str, Any]) -> list[list[Any]]:
    return [e["loc"] for e in body["errors"]]


def test_a_nul_in_a_risk_name_is_refused_naming_the_field_and_nothing_is_written(
    client: TestClient, services: Services
) -> None:
    _, _, ent = enterprise_login(client, services)
    head = services.events.head()

    body = assert_problem(client.post("/api/v1/risks", json=risk_body(name="a\u0000b"), headers=ent), 422)

    assert locs(body) == [["body", "name"]]
    assert "U+0000" in body["errors"][0]["msg"]
    assert services.events.head() == head


def test_a_control_character_in_a_nested_list_item_is_refused(client: TestClient, services: Services) -> None:
    _, _, ent = enterprise_login(client, services)
    head = services.events.head()
    measure = {"description": "联锁", "control_level": "company", "department": "安全\u001f部", "responsible_person": "李强"}

    factors = assert_problem(client.post("/api/v1/risks", json=risk_body(hazard_factors=["超压", "泄漏\u0001"]), headers=ent), 422)
    measures = assert_problem(client.post("/api/v1/risks", json=risk_body(control_measures=[measure]), headers=ent), 422)
    deleted = assert_problem(client.post("/api/v1/risks", json=risk_body(accident_types=["17", "\u007f"]), headers=ent), 422)

    assert locs(factors) == [["body", "hazard_factors"]] and "item 1" in factors["errors"][0]["msg"]
    assert locs(measures) == [["body", "control_measures", 0, "department"]]
    assert locs(deleted) == [["body", "accident_types"]] and "U+007F" in deleted["errors"][0]["msg"]
    assert services.events.head() == head


def test_line_breaks_are_kept_in_a_multi_line_field_and_refused_in_a_single_line_one(
    client: TestClient, services: Services
) -> None:
    _, _, ent = enterprise_login(client, services)

    kept = client.post("/api/v1/hazards", json=hazard_body(description="2 号报警器无响应\n3 号报警器\t误报\r\n"), headers=ent)
    head = services.events.head()
    refused = assert_problem(client.post("/api/v1/hazards", json=hazard_body(name="报警器\n失效"), headers=ent), 422)

    assert kept.status_code == 201, kept.text
    hazard = client.get(f"/api/v1/hazards/{kept.json()['hazard_id']}", headers=ent).json()
    assert hazard["description"] == "2 号报警器无响应\n3 号报警器\t误报"  # trimmed at the ends only
    assert locs(refused) == [["body", "name"]]
    assert services.events.head() == head


@sqlite_only
@pytest.mark.parametrize("char", ["%00", "%01"])
def test_control_characters_in_path_parameters_are_refused_naming_the_parameter(
    client: TestClient, services: Services, char: str
) -> None:
    _, _, ent = enterprise_login(client, services)
    admin = login(client, add_user(services, "admin"))
    head = services.events.head()
    change = {"level": "major", "reason": "复评", "changed_at": "2026-11-20T10:00:00+08:00"}

    risk = assert_problem(client.post(f"/api/v1/risks/{char}/level-changes", json=change, headers=ent), 422)
    enterprise = assert_problem(client.get(f"/api/v1/enterprises/9141{char}", headers=admin), 422)
    interface = assert_problem(client.post(f"/api/v1/interfaces/x{char}/withdrawal", json={"reason": "停用"}, headers=admin), 422)

    assert locs(risk) == [["path", "risk_id"]]
    assert locs(enterprise) == [["path", "credit_code"]]
    assert locs(interface) == [["path", "code"]]
    assert services.events.head() == head


def test_a_refused_path_on_an_enterprise_interface_is_still_in_the_call_log(client: TestClient, services: Services) -> None:
    """Refused before authentication, so logged under the interface without the caller."""
    _, _, ent = enterprise_login(client, services)
    change = {"level": "major", "reason": "复评", "changed_at": "2026-11-20T10:00:00+08:00"}
    request_id = uuid.uuid4().hex

    assert_problem(client.post("/api/v1/risks/%00/level-changes", json=change, headers=ent | {"X-Request-ID": request_id}), 422)
    assert services.call_log.flush(timeout=30)

    admin = login(client, add_user(services, "admin"))
    logged = client.get("/api/v1/call-logs", params={"interface": "risk.maintain", "status_class": 4, "limit": 1000},
                        headers=admin)
    assert logged.status_code == 200, logged.text
    assert [(i["status"], i["method"]) for i in logged.json()["items"] if i["request_id"] == request_id] == [(422, "POST")]


@sqlite_only
@pytest.mark.parametrize("char", ["%00", "%01"])
@pytest.mark.parametrize("path", ["/api/v1/call-logs", "/api/v1/call-logs/export.xlsx", "/api/v1/subscriptions"])
def test_control_characters_in_query_parameters_are_refused_naming_the_parameter(
    client: TestClient, services: Services, char: str, path: str
) -> None:
    admin = login(client, add_user(services, "admin"))
    name = "status" if path.endswith("subscriptions") else "interface"

    body = assert_problem(client.get(f"{path}?{name}=a{char}b", headers=admin), 422)

    assert locs(body) == [["query", name]]


@sqlite_only
def test_a_list_over_its_limit_is_refused(client: TestClient, services: Services) -> None:
    _, _, ent = enterprise_login(client, services)
    head = services.events.head()
    factors = [f"因素{i}" for i in range(MAX_HAZARD_FACTORS + 1)]

    body = assert_problem(client.post("/api/v1/risks", json=risk_body(hazard_factors=factors), headers=ent), 422)

    assert locs(body) == [["body", "hazard_factors"]]
    assert services.events.head() == head


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    yield b'{"risk_code": "R-big", "hazard_factors": ["'
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"]}'


@sqlite_only
def test_a_3_mb_body_is_refused_with_413_before_it_is_parsed(client: TestClient, services: Services) -> None:
    _, _, ent = enterprise_login(client, services)
    head = services.events.head()
    big = risk_body(hazard_factors=["x" * 100] * (3 * MB // 100))

    declared = client.post("/api/v1/risks", json=big, headers=ent)
    chunked = client.post("/api/v1/risks", content=_chunks(3 * MB), headers=ent | {"Content-Type": "application/json"})
    token = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "client_id": "x" * (3 * MB)})

    for response in (declared, chunked, token):
        body = assert_problem(response, 413)
        assert body["max_body_bytes"] == services.settings.max_body_bytes == 2 * MB
    assert chunked.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in chunked.request.headers
    assert services.events.head() == head


@sqlite_only
def test_a_chunked_body_within_the_limit_reaches_the_route(client: TestClient, services: Services) -> None:
    _, _, ent = enterprise_login(client, services)
    raw = json.dumps(risk_body()).encode()

    response = client.post("/api/v1/risks", content=iter([raw[:10], raw[10:]]),
                           headers=ent | {"Content-Type": "application/json"})

    assert response.status_code == 201, response.text


@sqlite_only
def test_a_json_body_that_is_not_utf_8_is_a_client_error(client: TestClient, services: Services) -> None:
    _, _, ent = enterprise_login(client, services)
    head = services.events.head()

    response = client.post("/api/v1/risks", content=b'{"name": "\xff\xfe"}', headers=ent | {"Content-Type": "application/json"})

    assert 400 <= response.status_code < 500, response.text
    assert_problem(response, response.status_code)
    assert services.events.head() == head
