"""The enterprise door for risk points (风险点): create, level changes, invalidation, isolation between
enterprises, optimistic concurrency (If-Match) and Idempotency-Key."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Services
from tests.e2e.helpers import assert_problem, enterprise_login, error_fields
from tests.support.builders import risk_body

RISKS = "/api/v1/risks"






def enterprise_user(client: TestClient, services: Services) -> dict[str, str]:
    """Register a fresh enterprise (directly, as the CLI would) and log in one of its users."""
    return enterprise_login(client, services)[2]


@pytest.fixture
def ent(client: TestClient, services: Services) -> dict[str, str]:
    return enterprise_user(client, services)


def create_risk(client: TestClient, headers: dict[str, str], **overrides: Any) -> str:
    response = client.post(RISKS, json=risk_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["risk_id"]


def level_change(level: str, changed_at: str = "2026-11-20T10:00:00+08:00") -> dict[str, str]:
    return {"level": level, "reason": "工艺变更后复评", "changed_at": changed_at}


# --- the life of a risk ---------------------------------------------------------------------------


def test_full_flow(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    before = services.events.head()
    response = client.post(RISKS, json=risk_body(), headers=ent)
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"risk_id", "version", "position"}
    assert created["version"] == 1 and created["position"] > before
    risk_id = created["risk_id"]

    view = client.get(f"{RISKS}/{risk_id}", headers=ent).json()
    assert (view["current_level"], view["inherent_level"], view["status"], view["version"]) == ("general", "significant", "valid", 1)
    assert view["accident_types"] == ["17", "19"]  # GB 6441 names normalised to codes
    assert view["assessment"] == {"method": "lec", "score": 180}

    up = client.post(f"{RISKS}/{risk_id}/level-changes", json=level_change("significant"), headers=ent)
    assert up.status_code == 200, up.text
    assert up.json()["version"] == 2
    assert up.headers["etag"] == '"2"'
    view = client.get(f"{RISKS}/{risk_id}", headers=ent).json()
    assert (view["current_level"], view["current_level_label"], view["version"]) == ("significant", "较大风险", 2)
    assert view["level_changed_at"].startswith("2026-11-20")

    down = client.post(f"{RISKS}/{risk_id}/level-changes", json=level_change("low", "2026-11-21T10:00:00+08:00"), headers=ent)
    assert down.status_code == 200, down.text
    assert client.get(f"{RISKS}/{risk_id}", headers=ent).json()["current_level"] == "low"

    head = services.events.head()
    problem = assert_problem(client.post(f"{RISKS}/{risk_id}/level-changes", json=level_change("low"), headers=ent), 409)
    assert problem["type"].endswith("/command-refused")
    assert services.events.head() == head

    measures = {"control_measures": [{"description": "双人巡检", "control_level": "team", "department": "生产部",
                                      "responsible_person": "刘洋"}], "reason": "措施更新"}
    revised = client.post(f"{RISKS}/{risk_id}/measure-revisions", json=measures, headers=ent)
    assert revised.status_code == 200, revised.text
    assert revised.json()["version"] == 4
    assert_problem(client.post(f"{RISKS}/{risk_id}/measure-revisions", json=measures, headers=ent), 409)  # no change

    gone = client.post(f"{RISKS}/{risk_id}/invalidation", json={"reason": "设备拆除"}, headers=ent)
    assert gone.status_code == 200, gone.text
    assert gone.json()["version"] == 5
    view = client.get(f"{RISKS}/{risk_id}", headers=ent).json()
    assert (view["status"], view["version"]) == ("invalidated", 5)

    head = services.events.head()
    for path, payload in (
        ("level-changes", level_change("major")),
        ("measure-revisions", measures | {"reason": "再改"}),
        ("invalidation", {"reason": "再次作废"}),
    ):
        problem = assert_problem(client.post(f"{RISKS}/{risk_id}/{path}", json=payload, headers=ent), 409)
        assert "invalidated" in problem["detail"]
    assert services.events.head() == head


def test_identical_create_repeat_is_200_and_different_content_is_409(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    body = risk_body()
    first = client.post(RISKS, json=body, headers=ent)
    assert first.status_code == 201, first.text
    head = services.events.head()
    again = client.post(RISKS, json=body, headers=ent)
    assert again.status_code == 200, again.text
    assert again.json() == {"risk_id": first.json()["risk_id"], "version": 1, "position": None}
    assert_problem(client.post(RISKS, json=body | {"location": "三号罐区"}, headers=ent), 409)
    assert services.events.head() == head


# --- 422s ----------------------------------------------------------------------------------------


INVALID_CREATES: list[tuple[dict[str, Any], str]] = [
    ({"current_level": "major", "inherent_level": "significant", "assessment": {"method": "lec", "score": 180}}, "current_level"),
    ({"assessment": {"method": "lec", "score": 400}}, "inherent_level"),  # LEC 400 is the major band
    ({"assessment": {"method": "ls", "score": 10}}, "inherent_level"),  # LS 10 is the general band
    ({"current_level": "critical"}, "current_level"),
    ({"inherent_level": "红"}, "inherent_level"),
    ({"identified_at": "2027-01-01T00:00:00+08:00"}, "identified_at"),  # in the ledger's future
    ({"identified_at": "2026-11-02T10:00:00"}, "identified_at"),  # no offset
    ({"accident_types": ["99"]}, "accident_types.0"),
    ({"hazard_factors": []}, "hazard_factors"),
    ({"control_measures": []}, "control_measures"),
    ({"assessment": {"method": "lec", "score": -1}}, "assessment.score"),
    ({"assessment": {"method": "guess", "score": 180}}, "assessment.method"),
    ({"risk_code": ""}, "risk_code"),
    ({"colour": "orange"}, "colour"),
]


def test_invalid_creates_are_422_naming_the_field(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    head = services.events.head()
    for overrides, field in INVALID_CREATES:
        problem = assert_problem(client.post(RISKS, json=risk_body(**overrides), headers=ent), 422)
        assert field in error_fields(problem), (overrides, problem)
    assert services.events.head() == head


def test_several_broken_rules_are_reported_together(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    body = risk_body(
        current_level="major", inherent_level="significant", assessment={"method": "lec", "score": 400},
        accident_types=["17", "99"], identified_at="2027-01-01T00:00:00+08:00",
    )
    problem = assert_problem(client.post(RISKS, json=body, headers=ent), 422)
    assert {"current_level", "inherent_level", "accident_types.1", "identified_at"} <= error_fields(problem)


def test_inherent_level_defaults_to_current_and_is_checked_against_the_score(client: TestClient, ent: dict[str, str]) -> None:
    body = risk_body(current_level="general", assessment={"method": "lec", "score": 100})
    del body["inherent_level"]
    response = client.post(RISKS, json=body, headers=ent)
    assert response.status_code == 201, response.text
    view = client.get(f"{RISKS}/{response.json()['risk_id']}", headers=ent).json()
    assert view["inherent_level"] == "general"


def test_invalid_level_changes_are_422(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    risk_id = create_risk(client, ent)
    head = services.events.head()
    for payload, field in (
        (level_change("severe"), "level"),
        (level_change("major", "2026-11-01T10:00:00+08:00"), "changed_at"),  # before identified_at
        (level_change("major", "2026-12-01T10:00:00+08:00"), "changed_at"),  # in the future
        (level_change("major", "2026-11-20T10:00:00"), "changed_at"),  # no offset
    ({"level": "major", "changed_at": "2026-11-20T10:00:00+08:00"}, "reason"),
    ):
        problem = assert_problem(client.post(f"{RISKS}/{risk_id}/level-changes", json=payload, headers=ent), 422)
        assert field in error_fields(problem), problem
    assert services.events.head() == head
    assert client.get(f"{RISKS}/{risk_id}", headers=ent).json()["version"] == 1


def test_unknown_risk_is_404_and_a_malformed_id_422(client: TestClient, ent: dict[str, str]) -> None:
    assert_problem(client.get(f"{RISKS}/{uuid.uuid4()}", headers=ent), 404)
    assert_problem(client.post(f"{RISKS}/{uuid.uuid4()}/level-changes", json=level_change("major"), headers=ent), 404)
    problem = assert_problem(client.get(f"{RISKS}/not-a-uuid", headers=ent), 422)
    assert "risk_id" in {str(e["loc"][-1]) for e in problem["errors"]}


# --- enterprises are isolated ---------------------------------------------------------------------


def test_another_enterprise_cannot_see_or_change_a_risk(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    risk_id = create_risk(client, ent)
    before = client.get(f"{RISKS}/{risk_id}", headers=ent).json()
    other = enterprise_user(client, services)
    head = services.events.head()

    assert_problem(client.get(f"{RISKS}/{risk_id}", headers=other), 404)
    for path, payload in (
        ("level-changes", level_change("significant")),
        ("measure-revisions", {"control_measures": [{"description": "x", "control_level": "post", "department": "y",
                                                     "responsible_person": "z"}], "reason": "r"}),
        ("invalidation", {"reason": "恶意作废"}),
    ):
        assert_problem(client.post(f"{RISKS}/{risk_id}/{path}", json=payload, headers=other), 404)
    assert services.events.head() == head
    assert client.get(f"{RISKS}/{risk_id}", headers=ent).json() == before

    # The same risk code is independent per enterprise.
    code = before["risk_code"]
    response = client.post(RISKS, json=risk_body(code, location="别的厂区"), headers=other)
    assert response.status_code == 201, response.text
    assert response.json()["risk_id"] != risk_id


# --- If-Match --------------------------------------------------------------------------------------


def test_if_match_current_version_succeeds_and_stale_is_412(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    risk_id = create_risk(client, ent)
    url = f"{RISKS}/{risk_id}/level-changes"

    ok = client.post(url, json=level_change("significant"), headers=ent | {"If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 2

    head = services.events.head()
    problem = assert_problem(client.post(url, json=level_change("low"), headers=ent | {"If-Match": "1"}), 412)
    assert problem["current_version"] == 2
    assert services.events.head() == head
    assert client.get(f"{RISKS}/{risk_id}", headers=ent).json()["current_level"] == "significant"

    assert_problem(client.post(url, json=level_change("low"), headers=ent | {"If-Match": "7"}), 412)  # from the future
    weak = client.post(url, json=level_change("low"), headers=ent | {"If-Match": 'W/"2"'})
    assert weak.status_code == 200, weak.text
    assert weak.json()["version"] == 3


def test_malformed_if_match_is_422(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    risk_id = create_risk(client, ent)
    head = services.events.head()
    for if_match in ("abc", '"v2"', "-1", "1.0", ""):
        problem = assert_problem(
            client.post(f"{RISKS}/{risk_id}/level-changes", json=level_change("significant"), headers=ent | {"If-Match": if_match}),
            422,
        )
        assert any("If-Match" in e["loc"] for e in problem["errors"]), problem
    assert services.events.head() == head
    assert client.get(f"{RISKS}/{risk_id}", headers=ent).json()["version"] == 1


def test_malformed_if_match_error_points_at_the_header(client: TestClient, ent: dict[str, str]) -> None:
    risk_id = create_risk(client, ent)
    problem = assert_problem(
        client.post(f"{RISKS}/{risk_id}/level-changes", json=level_change("significant"), headers=ent | {"If-Match": "abc"}),
        422,
    )
    assert problem["errors"][0]["loc"] == ["header", "If-Match"]


# --- Idempotency-Key --------------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_answer(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    risk_id = create_risk(client, ent)
    url = f"{RISKS}/{risk_id}/level-changes"
    key = {"Idempotency-Key": uuid.uuid4().hex}
    payload = level_change("significant")

    first = client.post(url, json=payload, headers=ent | key)
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    head = services.events.head()

    replay = client.post(url, json=payload, headers=ent | key)
    assert replay.status_code == first.status_code
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["etag"] == first.headers["etag"]
    assert services.events.head() == head  # without the key this would have been a 409 (same level)
    assert client.get(f"{RISKS}/{risk_id}", headers=ent).json()["version"] == 2

    problem = assert_problem(client.post(url, json=level_change("major"), headers=ent | key), 422)
    assert problem["type"].endswith("/idempotency-key-reused")
    assert problem["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    # Another path with the same key is a different request too.
    assert_problem(client.post(f"{RISKS}/{risk_id}/invalidation", json={"reason": "x"}, headers=ent | key), 422)
    assert services.events.head() == head


def test_idempotent_create_is_replayed_as_201(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    key = {"Idempotency-Key": f"create-{uuid.uuid4().hex}"}
    body = risk_body()
    first = client.post(RISKS, json=body, headers=ent | key)
    assert first.status_code == 201, first.text
    head = services.events.head()

    replay = client.post(RISKS, json=body, headers=ent | key)
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.json()["position"] is not None
    assert replay.headers["idempotent-replayed"] == "true"
    assert services.events.head() == head


def test_idempotency_keys_are_per_principal(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    key = {"Idempotency-Key": "shared-key-" + uuid.uuid4().hex}
    body = risk_body()
    first = client.post(RISKS, json=body, headers=ent | key)
    assert first.status_code == 201, first.text
    other = enterprise_user(client, services)
    second = client.post(RISKS, json=body, headers=other | key)
    assert second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert second.json()["risk_id"] != first.json()["risk_id"]

    head = services.events.head()
    assert_problem(client.post(RISKS, json=risk_body(), headers=ent | {"Idempotency-Key": "k" * 201}), 422)
    assert services.events.head() == head


def test_a_refused_command_is_not_remembered_under_its_key(client: TestClient, services: Services, ent: dict[str, str]) -> None:
    risk_id = create_risk(client, ent)
    url = f"{RISKS}/{risk_id}/level-changes"
    key = {"Idempotency-Key": uuid.uuid4().hex}
    assert_problem(client.post(url, json=level_change("significant"), headers=ent | key | {"If-Match": "5"}), 412)
    retry = client.post(url, json=level_change("significant"), headers=ent | key | {"If-Match": "1"})
    assert retry.status_code == 200, retry.text
    assert "idempotent-replayed" not in retry.headers
