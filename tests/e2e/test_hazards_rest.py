"""The enterprise door for hidden hazards (隐患): register, the rectification / acceptance loop,
invalidation, and the registration rules (major hazards, deadlines, the linked risk)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Services
from tests.e2e.helpers import assert_problem, enterprise_login, error_fields
from tests.support.builders import hazard_body, risk_body

HAZARDS = "/api/v1/hazards"

PLAN = {
    "objectives": "恢复报警功能", "methods_and_measures": "更换报警器并联锁测试", "funds_and_materials": "专项资金 2 万元",
    "responsible_organisation": "安全环保部 李强", "time_limit_and_requirements": "2026-11-30 前完成",
    "safety_and_emergency_measures": "临时便携式检测仪 + 专人值守",
}






def enterprise_user(client: TestClient, services: Services) -> dict[str, str]:
    return enterprise_login(client, services)[2]


@pytest.fixture
def ent(client: TestClient, services: Services) -> dict[str, str]:
    return enterprise_user(client, services)


def register(client: TestClient, headers: dict[str, str], **overrides: Any) -> str:
    response = client.post(HAZARDS, json=hazard_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["hazard_id"]


def rectification(completed_at: str = "2026-11-15T10:00:00+08:00") -> dict[str, Any]:
    return {"measures": "更换 2 号报警器", "completed_at": completed_at, "responsible_person": "王磊", "cost": 1200.5}


def acceptance(passed: bool, accepted_at: str = "2026-11-16T10:00:00+08:00") -> dict[str, Any]:
    return {"passed": passed, "accepted_by": "安全总监 陈刚", "accepted_at": accepted_at,
            "opinion": "符合要求" if passed else "报警联锁未恢复"}


def status_of(client: TestClient, headers: dict[str, str], hazard_id: str) -> tuple[str, int]:
    view = client.get(f"{HAZARDS}/{hazard_id}", headers=headers).json()
    return view["status"], view["version"]


# --- the governance loop ---------------------------------------------------------------------------


def test_rectification_and_acceptance_loop(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    before = services.events.head()
    response = client.post(HAZARDS, json=hazard_body(), headers=ent)
    assert response.status_code == 201, response.text
    assert set(response.json()) == {"hazard_id", "version", "position"}
    assert response.json()["position"] > before
    hazard_id = response.json()["hazard_id"]
    url = f"{HAZARDS}/{hazard_id}"

    view = client.get(url, headers=ent).json()
    assert (view["status"], view["version"], view["level"], view["rectification"], view["acceptances"]) == (
        "rectifying", 1, "general", None, [])

    head = services.events.head()
    problem = assert_problem(client.post(f"{url}/acceptance", json=acceptance(True), headers=ent), 409)
    assert problem["type"].endswith("/command-refused")
    assert services.events.head() == head

    done = client.post(f"{url}/rectification", json=rectification(), headers=ent)
    assert done.status_code == 200, done.text
    assert done.json()["version"] == 2
    assert status_of(client, ent, hazard_id) == ("awaiting_acceptance", 2)
    assert_problem(client.post(f"{url}/rectification", json=rectification(), headers=ent), 409)  # already reported

    failed = client.post(f"{url}/acceptance", json=acceptance(False), headers=ent)
    assert failed.status_code == 200, failed.text
    view = client.get(url, headers=ent).json()
    assert (view["status"], view["version"], view["rectification"]) == ("rectifying", 3, None)
    assert [a["passed"] for a in view["acceptances"]] == [False]

    again = client.post(f"{url}/rectification", json=rectification("2026-11-18T10:00:00+08:00"), headers=ent)
    assert again.status_code == 200, again.text
    assert status_of(client, ent, hazard_id) == ("awaiting_acceptance", 4)

    # An acceptance dated before the rectification was completed is refused.
    assert_problem(client.post(f"{url}/acceptance", json=acceptance(True, "2026-11-17T10:00:00+08:00"), headers=ent), 422)

    passed = client.post(f"{url}/acceptance", json=acceptance(True, "2026-11-19T10:00:00+08:00"), headers=ent)
    assert passed.status_code == 200, passed.text
    view = client.get(url, headers=ent).json()
    assert (view["status"], view["version"]) == ("accepted", 5)
    assert [a["passed"] for a in view["acceptances"]] == [False, True]
    assert view["rectification"]["measures"] == "更换 2 号报警器"

    head = services.events.head()
    for path, payload in (
        ("rectification", rectification()),
        ("acceptance", acceptance(True, "2026-11-20T10:00:00+08:00")),
        ("invalidation", {"reason": "误报"}),
    ):
        problem = assert_problem(client.post(f"{url}/{path}", json=payload, headers=ent), 409)
        assert "closed" in problem["detail"]
    assert services.events.head() == head
    assert status_of(client, ent, hazard_id) == ("accepted", 5)


def test_invalidation_of_an_open_hazard_ends_it(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    hazard_id = register(client, ent)
    url = f"{HAZARDS}/{hazard_id}"
    response = client.post(f"{url}/invalidation", json={"reason": "重复登记"}, headers=ent)
    assert response.status_code == 200, response.text
    assert status_of(client, ent, hazard_id) == ("invalidated", 2)

    head = services.events.head()
    for path, payload in (
        ("rectification", rectification()),
        ("acceptance", acceptance(True)),
        ("invalidation", {"reason": "再次作废"}),
    ):
        problem = assert_problem(client.post(f"{url}/{path}", json=payload, headers=ent), 409)
        assert "invalidated" in problem["detail"]
    assert services.events.head() == head
    assert_problem(client.post(f"{url}/invalidation", json={"reason": ""}, headers=ent), 422)


def test_identical_repeat_is_200_and_different_content_409(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    body = hazard_body()
    first = client.post(HAZARDS, json=body, headers=ent)
    assert first.status_code == 201, first.text
    head = services.events.head()
    again = client.post(HAZARDS, json=body, headers=ent)
    assert again.status_code == 200, again.text
    assert again.json() == {"hazard_id": first.json()["hazard_id"], "version": 1, "position": None}
    assert_problem(client.post(HAZARDS, json=body | {"description": "3 号报警器也无响应"}, headers=ent), 409)
    assert services.events.head() == head


# --- registration rules ---------------------------------------------------------------------------


def test_major_hazard_needs_a_plan_and_deadline_governance(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    head = services.events.head()
    problem = assert_problem(client.post(HAZARDS, json=hazard_body(level="major"), headers=ent), 422)
    assert "rectification_plan" in error_fields(problem)

    immediate = hazard_body(level="major", governance_type="immediate", rectification_plan=PLAN)
    problem = assert_problem(client.post(HAZARDS, json=immediate, headers=ent), 422)
    assert "governance_type" in error_fields(problem)

    both = hazard_body(level="major", governance_type="immediate")
    problem = assert_problem(client.post(HAZARDS, json=both, headers=ent), 422)
    assert {"governance_type", "rectification_plan"} <= error_fields(problem)

    incomplete_plan = PLAN | {"funds_and_materials": ""}
    problem = assert_problem(client.post(HAZARDS, json=hazard_body(level="major", rectification_plan=incomplete_plan), headers=ent), 422)
    assert "rectification_plan.funds_and_materials" in error_fields(problem)
    assert services.events.head() == head

    response = client.post(HAZARDS, json=hazard_body(level="major", rectification_plan=PLAN), headers=ent)
    assert response.status_code == 201, response.text
    view = client.get(f"{HAZARDS}/{response.json()['hazard_id']}", headers=ent).json()
    assert (view["level"], view["rectification_plan"]) == ("major", PLAN)


def test_deadline_rules(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    head = services.events.head()
    for overrides in (
        {"rectification_deadline": "2026-11-09T09:00:00+08:00"},  # before found_at
        {"rectification_deadline": "2026-11-10T09:00:00+08:00"},  # equal to found_at
        {"rectification_deadline": None},  # 限期整改 without a deadline
    ):
        problem = assert_problem(client.post(HAZARDS, json=hazard_body(**overrides), headers=ent), 422)
        assert "rectification_deadline" in error_fields(problem), (overrides, problem)
    problem = assert_problem(client.post(HAZARDS, json=hazard_body(found_at="2026-12-01T09:00:00+08:00"), headers=ent), 422)
    assert "found_at" in error_fields(problem)
    assert services.events.head() == head

    immediate = hazard_body(governance_type="immediate", rectification_deadline=None)
    assert client.post(HAZARDS, json=immediate, headers=ent).status_code == 201


def test_risk_link_must_name_one_of_the_enterprises_own_risks(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    own = client.post("/api/v1/risks", json=risk_body(), headers=ent)
    assert own.status_code == 201, own.text
    other = enterprise_user(client, services)
    foreign = client.post("/api/v1/risks", json=risk_body(), headers=other)
    assert foreign.status_code == 201, foreign.text
    hazard = client.post(HAZARDS, json=hazard_body(), headers=ent)
    assert hazard.status_code == 201, hazard.text

    head = services.events.head()
    for risk_id in (foreign.json()["risk_id"], str(uuid.uuid4()), hazard.json()["hazard_id"]):
        problem = assert_problem(client.post(HAZARDS, json=hazard_body(risk_id=risk_id), headers=ent), 422)
        assert "risk_id" in error_fields(problem)
    assert services.events.head() == head

    linked = client.post(HAZARDS, json=hazard_body(risk_id=own.json()["risk_id"]), headers=ent)
    assert linked.status_code == 201, linked.text
    view = client.get(f"{HAZARDS}/{linked.json()['hazard_id']}", headers=ent).json()
    assert view["risk_id"] == own.json()["risk_id"]


def test_rectification_and_acceptance_inputs_are_validated(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    hazard_id = register(client, ent)
    url = f"{HAZARDS}/{hazard_id}"
    head = services.events.head()
    for payload, field in (
        (rectification("2026-11-09T10:00:00+08:00"), "completed_at"),  # before found_at
        (rectification("2026-12-09T10:00:00+08:00"), "completed_at"),  # future
        (rectification() | {"cost": -1}, "cost"),
        (rectification() | {"measures": ""}, "measures"),
    ):
        problem = assert_problem(client.post(f"{url}/rectification", json=payload, headers=ent), 422)
        assert field in error_fields(problem), (payload, problem)
    assert services.events.head() == head
    assert status_of(client, ent, hazard_id) == ("rectifying", 1)


def test_another_enterprise_cannot_see_or_touch_a_hazard(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    hazard_id = register(client, ent)
    other = enterprise_user(client, services)
    head = services.events.head()
    assert_problem(client.get(f"{HAZARDS}/{hazard_id}", headers=other), 404)
    assert_problem(client.post(f"{HAZARDS}/{hazard_id}/rectification", json=rectification(), headers=other), 404)
    assert_problem(client.post(f"{HAZARDS}/{hazard_id}/invalidation", json={"reason": "x"}, headers=other), 404)
    assert services.events.head() == head
    assert status_of(client, ent, hazard_id) == ("rectifying", 1)
