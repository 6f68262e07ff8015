"""The enforcement plan's doors tried as an attacker and an operator would: control characters,
huge strings, bad periods and cursors, unknown and other regions' ids, malformed bodies, and the
database stopped mid-request. Nothing refused writes anything."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services
from tests.conftest import add_user, login
from tests.e2e.helpers import assert_problem, error_fields, register_enterprise
from tests.support.builders import a_credit_code
from tests.support.outage import database_down

PLAN = "/api/v1/enforcement-plan"
ENTRIES = f"{PLAN}/entries"
HUGE = "x" * (10 * 1024 * 1024)


@pytest.fixture
def doors(own_ledger: tuple[TestClient, Services]) -> tuple[TestClient, Services, dict[str, str], str, str]:
    """(client, services, a Zhengzhou city supervisor's headers, a Zhengzhou and a Luoyang credit code)."""
    client, services = own_ledger
    runner = services.new_projection_runner()
    runner.ensure_current()
    runner.close()
    return (client, services, login(client, add_user(services, "supervisor", region_code="410100")),
            register_enterprise(services, region_code="410185"), register_enterprise(services, region_code="410302"))


def test_bad_input_is_422_naming_the_fields_and_writes_nothing(doors) -> None:  # noqa: ANN001
    client, services, supervisor, code, _ = doors
    head = services.events.head()
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"credit_code": code, "period": "2026-13", "reason": "x"}, {"period"}),
        ({"credit_code": code, "period": "2026-00", "reason": "x"}, {"period"}),
        ({"credit_code": code, "period": "1999-12", "reason": "x"}, {"period"}),
        ({"credit_code": code, "period": "2026-12", "reason": "理由\x00"}, {"reason"}),
        ({"credit_code": code, "period": "2026-12", "reason": "理由\x1b[31m"}, {"reason"}),
        ({"credit_code": code, "period": "2026-12", "reason": "   "}, {"reason"}),
        ({"credit_code": code, "period": "2026-12", "reason": "x" * 1001}, {"reason"}),
        ({"credit_code": "91410100MA00000000", "period": "2026-13", "reason": "x"}, {"credit_code", "period"}),
        ({"credit_code": code, "period": "2026-1\x00", "reason": "x"}, {"period"}),
        ({"credit_code": code, "period": "2026-12", "reason": "x", "reminder_id": "not-a-uuid"}, {"reminder_id"}),
        ({"credit_code": code, "period": "2026-12", "reason": "x", "extra": 1}, {"extra"}),
    ]
    for body, fields in cases:
        problem = assert_problem(client.post(ENTRIES, json=body, headers=supervisor), 422)
        assert fields <= error_fields(problem), (body, problem)
    assert client.post(ENTRIES, json={"credit_code": code, "period": "2026-12", "reason": HUGE},
                       headers=supervisor).status_code == 413
    for body in (b"{not json", b"\xff\xfe{}", b"[]", b'{"period": 1e999}'):
        response = client.post(ENTRIES, content=body, headers=supervisor | {"content-type": "application/json"})
        assert 400 <= response.status_code < 500, (body, response.status_code)
    for params in ({"period": "2026-13"}, {"region_code": "41"}, {"status": "deleted"}, {"after": "garbage"},
                   {"after": "2026-12|a"}, {"limit": "0"}, {"period": "2026-12\x00"}):
        assert_problem(client.get(PLAN, params=params, headers=supervisor), 422)
        if not {"after", "limit"} & set(params):  # the export takes the filters only
            assert_problem(client.get(f"{PLAN}/export.xlsx", params=params, headers=supervisor), 422)
    assert_problem(client.get(f"{ENTRIES}/%00", headers=supervisor), 422)
    assert_problem(client.post(f"{ENTRIES}/{uuid.uuid4()}/withdrawal", json={"reason": "\x00"}, headers=supervisor), 422)
    assert services.events.head() == head


def test_unknown_and_foreign_ids(doors) -> None:  # noqa: ANN001
    client, services, supervisor, code, luoyang = doors
    head = services.events.head()
    unknown = uuid.uuid4()
    assert_problem(client.get(f"{ENTRIES}/{unknown}", headers=supervisor), 404)
    assert_problem(client.post(f"{ENTRIES}/{unknown}/withdrawal", json={"reason": "x"}, headers=supervisor), 404)
    body = {"credit_code": code, "period": "2026-12", "reason": "x"}
    assert_problem(client.post(ENTRIES, json=body | {"reminder_id": str(unknown)}, headers=supervisor), 404)
    assert_problem(client.post(ENTRIES, json=body | {"credit_code": a_credit_code()}, headers=supervisor), 404)
    assert_problem(client.post(ENTRIES, json=body | {"credit_code": luoyang}, headers=supervisor), 403)
    # an id of another aggregate (the enterprise's own) is no entry
    enterprise_id = str(services.write.enterprises.id_of(code))
    assert_problem(client.get(f"{ENTRIES}/{enterprise_id}", headers=supervisor), 404)
    assert_problem(client.post(f"{ENTRIES}/{enterprise_id}/withdrawal", json={"reason": "x"}, headers=supervisor), 404)
    assert services.events.head() == head
    luoyang_sup = login(client, add_user(services, "supervisor", region_code="410300"))
    foreign = client.post(ENTRIES, json=body | {"credit_code": luoyang}, headers=luoyang_sup).json()["entry_id"]
    assert_problem(client.get(f"{ENTRIES}/{foreign}", headers=supervisor), 404)
    assert_problem(client.post(f"{ENTRIES}/{foreign}/withdrawal", json={"reason": "x"}, headers=supervisor), 404)
    assert_problem(client.post(ENTRIES, json=body | {"credit_code": luoyang}, headers=login(
        client, add_user(services, "supervisor", region_code="410185"))), 403)



def test_the_database_stopped_is_503_with_retry_after(private: tuple[str, Services]) -> None:
    url, services = private
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        runner = services.new_projection_runner()
        runner.ensure_current()
        runner.close()
        supervisor = login(client, add_user(services, "supervisor", region_code="410100"))
        code = register_enterprise(services, region_code="410185")
        entry = client.post(ENTRIES, json={"credit_code": code, "period": "2026-12", "reason": "x"}, headers=supervisor)
        assert entry.status_code == 201, entry.text
        entry_id = entry.json()["entry_id"]
        calls = [lambda: client.post(ENTRIES, json={"credit_code": code, "period": "2027-01", "reason": "x"}, headers=supervisor),
                 lambda: client.get(PLAN, headers=supervisor),
                 lambda: client.get(f"{PLAN}/export.xlsx", headers=supervisor),
                 lambda: client.get(f"{ENTRIES}/{entry_id}", headers=supervisor),
                 lambda: client.post(f"{ENTRIES}/{entry_id}/withdrawal", json={"reason": "x"}, headers=supervisor)]
        with database_down(url):
            for call in calls:
                response = call()
                assert response.status_code == 503, response.text
                assert int(response.headers["retry-after"]) >= 1
        assert client.get(PLAN, headers=supervisor).status_code == 200
