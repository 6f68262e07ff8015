"""The admin door: the enterprise register over REST (register, read, change, deregister)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Services
from tests.e2e.helpers import client_token, assert_problem, error_fields
from tests.conftest import add_user, login
from tests.support.builders import a_credit_code, enterprise_body, hazard_body, inspection_body, risk_body

ENTERPRISES = "/api/v1/enterprises"






@pytest.fixture
def admin(client: TestClient, services: Services) -> dict[str, str]:
    return login(client, add_user(services, "admin"))


def register(client: TestClient, admin: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = enterprise_body(**overrides)
    response = client.post(ENTERPRISES, json=body, headers=admin)
    assert response.status_code == 201, response.text
    return body


# --- register ------------------------------------------------------------------------------------


def test_register_answers_201_with_id_version_and_position(client: TestClient, services: Services, admin: dict[str, str]) -> None:
    before = services.events.head()
    response = client.post(ENTERPRISES, json=enterprise_body(), headers=admin)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"enterprise_id", "version", "position"}
    assert body["version"] == 1
    assert body["position"] == services.events.head() > before
    assert response.headers["etag"] == '"1"'


def test_identical_repeat_answers_200_with_the_same_id_and_writes_nothing(
    client: TestClient, services: Services, admin: dict[str, str]
) -> None:
    body = enterprise_body()
    first = client.post(ENTERPRISES, json=body, headers=admin)
    assert first.status_code == 201, first.text
    head = services.events.head()

    again = client.post(ENTERPRISES, json=body, headers=admin)
    assert again.status_code == 200, again.text
    assert again.json()["enterprise_id"] == first.json()["enterprise_id"]
    assert again.json()["version"] == 1
    assert again.json()["position"] is None
    assert services.events.head() == head

    # The same content in another spelling (lower-case credit code, same instant in UTC) is identical too.
    respelled = body | {"credit_code": body["credit_code"].lower(), "registered_at": "2026-10-01T01:00:00Z"}
    same = client.post(ENTERPRISES, json=respelled, headers=admin)
    assert same.status_code == 200, same.text
    assert same.json()["enterprise_id"] == first.json()["enterprise_id"]
    assert services.events.head() == head


def test_different_content_for_a_registered_credit_code_is_409(client: TestClient, services: Services, admin: dict[str, str]) -> None:
    body = register(client, admin)
    head = services.events.head()
    response = client.post(ENTERPRISES, json=body | {"name": "另一家公司"}, headers=admin)
    problem = assert_problem(response, 409)
    assert problem["type"].endswith("/conflict")
    assert services.events.head() == head


def test_invalid_credit_code_is_422_naming_the_field(client: TestClient, services: Services, admin: dict[str, str]) -> None:
    good = a_credit_code()
    wrong_check = good[:17] + ("1" if good[17] != "1" else "2")
    head = services.events.head()
    for bad in (wrong_check, good[:17], "91410185MA4400008I", ""):
        problem = assert_problem(client.post(ENTERPRISES, json=enterprise_body(bad or None) | {"credit_code": bad}, headers=admin), 422)
        assert any("credit_code" in e["loc"] for e in problem["errors"]), problem
        assert all(e["msg"] for e in problem["errors"])
    assert services.events.head() == head


def test_several_invalid_fields_are_all_listed(client: TestClient, services: Services, admin: dict[str, str]) -> None:
    head = services.events.head()
    # Domain rules: every broken field is reported in one answer.
    body = enterprise_body(
        credit_code="91410185MA44000081",  # wrong check character
        region_code="999999",
        safety_officer={"name": "张伟", "mobile": "12345"},
        registered_at="2027-01-01T00:00:00+08:00",  # in the ledger's future
    )
    problem = assert_problem(client.post(ENTERPRISES, json=body, headers=admin), 422)
    assert {"credit_code", "region_code", "safety_officer.mobile", "registered_at"} <= error_fields(problem)

    # Schema rules: likewise.
    body = enterprise_body(industry="mining", supervision_level="national", registered_at="2026-10-01T09:00:00")
    del body["name"]
    problem = assert_problem(client.post(ENTERPRISES, json=body, headers=admin), 422)
    assert {"industry", "supervision_level", "registered_at", "name"} <= error_fields(problem)
    assert services.events.head() == head


def test_unknown_fields_are_refused(client: TestClient, services: Services, admin: dict[str, str]) -> None:
    head = services.events.head()
    problem = assert_problem(client.post(ENTERPRISES, json=enterprise_body(legal_person="张三"), headers=admin), 422)
    assert "legal_person" in error_fields(problem)
    nested = enterprise_body(safety_officer={"name": "张伟", "mobile": "13800138000", "email": "a@b.c"})
    problem = assert_problem(client.post(ENTERPRISES, json=nested, headers=admin), 422)
    assert "safety_officer.email" in error_fields(problem)
    malformed = client.post(ENTERPRISES, content=b"{not json", headers=admin | {"Content-Type": "application/json"})
    assert_problem(malformed, 422)
    assert services.events.head() == head


# --- read ----------------------------------------------------------------------------------------


def test_get_returns_the_state_with_labels(client: TestClient, admin: dict[str, str]) -> None:
    body = register(client, admin, safety_officer={"name": "张伟", "mobile": "+86 138-0013-8000"})
    response = client.get(f"{ENTERPRISES}/{body['credit_code']}", headers=admin)
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["credit_code"] == body["credit_code"]
    assert view["name"] == "登封市示范化工有限公司"
    assert view["region_code"] == "410185"
    assert view["region_name"] == "登封市"
    assert view["industry"] == "hazardous_chemicals"
    assert view["industry_label"] == "危险化学品"
    assert view["supervision_level"] == "county"
    assert view["safety_officer"] == {"name": "张伟", "mobile": "13800138000"}
    assert view["status"] == "active"
    assert view["version"] == 1
    assert view["registered_at"].startswith("2026-10-01")
    assert_problem(client.get(f"{ENTERPRISES}/{a_credit_code()}", headers=admin), 404)


# --- change --------------------------------------------------------------------------------------


def test_patch_changes_details_and_a_noop_is_409(client: TestClient, services: Services, admin: dict[str, str]) -> None:
    body = register(client, admin)
    url = f"{ENTERPRISES}/{body['credit_code']}"

    response = client.patch(url, json={"name": "登封市新名称化工有限公司"}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert response.json()["position"] == services.events.head()
    view = client.get(url, headers=admin).json()
    assert view["name"] == "登封市新名称化工有限公司"
    assert view["version"] == 2

    head = services.events.head()
    for noop in ({"name": "登封市新名称化工有限公司"}, {}, {"region_code": "410185"}):
        problem = assert_problem(client.patch(url, json=noop, headers=admin), 409)
        assert problem["type"].endswith("/command-refused")
    assert services.events.head() == head

    response = client.patch(url, json={"region_code": "410302", "industry": "metallurgy"}, headers=admin)
    assert response.status_code == 200, response.text
    view = client.get(url, headers=admin).json()
    assert (view["region_name"], view["industry_label"], view["version"]) == ("老城区", "冶金", 3)


def test_patch_validates_like_registration(client: TestClient, services: Services, admin: dict[str, str]) -> None:
    body = register(client, admin)
    url = f"{ENTERPRISES}/{body['credit_code']}"
    head = services.events.head()
    problem = assert_problem(client.patch(url, json={"region_code": "123456", "credit_code": a_credit_code()}, headers=admin), 422)
    assert "credit_code" in error_fields(problem)  # the identity cannot be changed
    problem = assert_problem(client.patch(url, json={"region_code": "123456"}, headers=admin), 422)
    assert "region_code" in error_fields(problem)
    assert_problem(client.patch(url, json={"name": ""}, headers=admin), 422)
    assert_problem(client.patch(f"{ENTERPRISES}/{a_credit_code()}", json={"name": "x公司"}, headers=admin), 404)
    assert services.events.head() == head


# --- deregister ----------------------------------------------------------------------------------


def test_deregistered_enterprise_refuses_new_data(client: TestClient, services: Services, admin: dict[str, str]) -> None:
    body = register(client, admin)
    credit_code = body["credit_code"]
    enterprise = client_token(client, services, credit_code)[1]

    response = client.post(f"{ENTERPRISES}/{credit_code}/deregistration", json={"reason": "企业注销"}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    view = client.get(f"{ENTERPRISES}/{credit_code}", headers=admin).json()
    assert (view["status"], view["version"]) == ("deregistered", 2)

    head = services.events.head()
    for path, payload in (
        ("/api/v1/risks", risk_body()),
        ("/api/v1/hazards", hazard_body()),
        ("/api/v1/inspections", inspection_body()),
    ):
        problem = assert_problem(client.post(path, json=payload, headers=enterprise), 409)
        assert "deregistered" in problem["detail"]
    # The register itself is closed too.
    assert_problem(client.patch(f"{ENTERPRISES}/{credit_code}", json={"name": "新名称公司"}, headers=admin), 409)
    assert_problem(client.post(f"{ENTERPRISES}/{credit_code}/deregistration", json={"reason": "again"}, headers=admin), 409)
    assert services.events.head() == head


def test_deregistered_enterprise_cannot_change_its_existing_records(
    client: TestClient, services: Services, admin: dict[str, str]
) -> None:
    body = register(client, admin)
    credit_code = body["credit_code"]
    enterprise = client_token(client, services, credit_code)[1]
    risk = client.post("/api/v1/risks", json=risk_body(), headers=enterprise)
    hazard = client.post("/api/v1/hazards", json=hazard_body(), headers=enterprise)
    assert (risk.status_code, hazard.status_code) == (201, 201), (risk.text, hazard.text)
    risk_id, hazard_id = risk.json()["risk_id"], hazard.json()["hazard_id"]
    assert client.post(f"{ENTERPRISES}/{credit_code}/deregistration", json={"reason": "企业注销"}, headers=admin).status_code == 200

    head = services.events.head()
    level_change = {"level": "significant", "reason": "复评", "changed_at": "2026-11-20T10:00:00+08:00"}
    rectification = {"measures": "更换报警器", "completed_at": "2026-11-15T10:00:00+08:00", "responsible_person": "王磊"}
    for path, payload in (
        (f"/api/v1/risks/{risk_id}/level-changes", level_change),
        (f"/api/v1/risks/{risk_id}/invalidation", {"reason": "x"}),
        (f"/api/v1/hazards/{hazard_id}/rectification", rectification),
        (f"/api/v1/hazards/{hazard_id}/invalidation", {"reason": "x"}),
    ):
        assert_problem(client.post(path, json=payload, headers=enterprise), 409)
    assert services.events.head() == head


def test_deregistration_of_unknown_enterprise_is_404_and_needs_a_reason(client: TestClient, admin: dict[str, str]) -> None:
    assert_problem(client.post(f"{ENTERPRISES}/{a_credit_code()}/deregistration", json={"reason": "x"}, headers=admin), 404)
    body = register(client, admin)
    problem = assert_problem(client.post(f"{ENTERPRISES}/{body['credit_code']}/deregistration", json={}, headers=admin), 422)
    assert "reason" in error_fields(problem)
