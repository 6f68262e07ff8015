"""The enterprise door for investigation records (隐患排查记录)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from api.bootstrap import Services
from tests.e2e.helpers import assert_problem, enterprise_login
from tests.support.builders import inspection_body

INSPECTIONS = "/api/v1/inspections"




def enterprise_user(client: TestClient, services: Services) -> dict[str, str]:
    return enterprise_login(client, services)[2]


def test_record_read_repeat_and_conflict(client: TestClient, services: Services) -> None:
    ent = enterprise_user(client, services)
    body = inspection_body(hazards_found=0)
    before = services.events.head()

    created = client.post(INSPECTIONS, json=body, headers=ent)
    assert created.status_code == 201, created.text
    assert set(created.json()) == {"inspection_id", "version", "position"}
    assert created.json()["version"] == 1
    assert created.json()["position"] == services.events.head() > before
    inspection_id = created.json()["inspection_id"]

    view = client.get(f"{INSPECTIONS}/{inspection_id}", headers=ent)
    assert view.status_code == 200, view.text
    assert view.json() == {
        "inspection_id": inspection_id, "inspection_code": body["inspection_code"], "scope": "罐区日常排查",
        "hazards_found": 0, "inspector": "赵敏", "version": 1,
        "performed_at": view.json()["performed_at"],
    }
    assert view.json()["performed_at"].startswith("2026-11-12T")

    head = services.events.head()
    again = client.post(INSPECTIONS, json=body, headers=ent)
    assert again.status_code == 200, again.text
    assert again.json() == {"inspection_id": inspection_id, "version": 1, "position": None}
    assert services.events.head() == head

    for change in ({"hazards_found": 2}, {"scope": "全厂综合排查"}, {"performed_at": "2026-11-13T15:00:00+08:00"}):
        problem = assert_problem(client.post(INSPECTIONS, json=body | change, headers=ent), 409)
        assert problem["type"].endswith("/conflict")
    assert services.events.head() == head


def test_invalid_records_and_other_enterprises(client: TestClient, services: Services) -> None:
    ent = enterprise_user(client, services)
    head = services.events.head()
    for overrides, field in (
        ({"hazards_found": -1}, "hazards_found"),
        ({"performed_at": "2026-12-12T15:00:00+08:00"}, "performed_at"),  # in the future
        ({"performed_at": "2026-11-12T15:00:00"}, "performed_at"),  # no offset
        ({"inspector": ""}, "inspector"),
        ({"result": "ok"}, "result"),
    ):
        problem = assert_problem(client.post(INSPECTIONS, json=inspection_body(**overrides), headers=ent), 422)
        assert any(field in e["loc"] for e in problem["errors"]), (overrides, problem)
    assert services.events.head() == head

    created = client.post(INSPECTIONS, json=inspection_body(), headers=ent)
    assert created.status_code == 201, created.text
    other = enterprise_user(client, services)
    assert_problem(client.get(f"{INSPECTIONS}/{created.json()['inspection_id']}", headers=other), 404)
    assert_problem(client.get(f"{INSPECTIONS}/{uuid.uuid4()}", headers=ent), 404)
