"""The exchange log door (`GET /api/v1/exchange/batches`), admins only, on SQLite and PostgreSQL:
newest first, filtered by table and day or time, paged by id; hostile inputs are 422 problems;
non-admins 403; the database stopped is 503 with Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services
from projections.ministry import exchange_log
from tests.conftest import add_user, login
from tests.e2e.helpers import assert_problem, error_fields
from tests.support.outage import database_down

BATCHES = "/api/v1/exchange/batches"
T = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)  # 2026-12-02 01:30 China time


def plant(services: Services) -> None:
    """Three batches as the exchanger logs them: a full load, an incremental one with findings, a failure."""
    findings = {"rows_with_findings": 1, "held_back": 1,
                "by_field": [{"field": "industryco", "kind": "not_in_code_list", "rows": 1,
                              "examples": [["91410185MA44000081", "coal"]]}]}
    rows = [
        ("jg_jgdx_qyjbxx", "full", "2026120200001", 0, 120, (100, 0, 0), 0, {}, T, "ok", None),
        ("jg_jgdx_qyjbxx", "incremental", "2026120300001", 120, 180, (2, 5, 1), 1, findings, T + timedelta(days=1), "ok", None),
        ("jg_zfk_user_info", "incremental", None, 0, 180, (0, 0, 0), 0, {}, T + timedelta(days=1), "failed",
         "OperationalError: lost connection"),
    ]
    with services.engine.begin() as conn:
        for table, kind, batch, start, end, (i, u, d), held, found, at, result, error in rows:
            exchange_log.record(conn, {
                "table_name": table, "kind": kind, "batch_number": batch, "from_position": start, "to_position": end,
                "inserted": i, "updated": u, "deleted": d, "held_back": held, "checksum": "ab" * 32 if batch else None,
                "findings": found, "started_at": at, "duration_ms": 1234, "result": result, "error": error})


def test_admins_read_the_exchange_log_newest_first_filtered_and_paged(own_ledger: tuple[TestClient, Services]) -> None:
    client, services = own_ledger
    plant(services)
    admin = login(client, add_user(services, "admin"))
    page = client.get(BATCHES, headers=admin)
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert [i["table"] for i in items] == ["jg_zfk_user_info", "jg_jgdx_qyjbxx", "jg_jgdx_qyjbxx"]
    failed, incremental, full = items
    assert failed["result"] == "failed" and failed["batch_number"] is None and "lost connection" in failed["error"]
    assert incremental["rows"] == {"i": 2, "u": 5, "d": 1} and incremental["held_back"] == 1
    assert (incremental["from_position"], incremental["to_position"], incremental["kind"]) == (120, 180, "incremental")
    assert incremental["findings"]["by_field"][0]["examples"] == [["91410185MA44000081", "coal"]]
    assert full["batch_number"] == "2026120200001" and full["duration_ms"] == 1234 and len(full["checksum"]) == 64
    only = client.get(BATCHES, params={"table": "jg_jgdx_qyjbxx"}, headers=admin).json()["items"]
    assert [i["batch_number"] for i in only] == ["2026120300001", "2026120200001"]
    day = client.get(BATCHES, params={"from": "2026-12-02", "to": "2026-12-02"}, headers=admin).json()["items"]
    assert [i["batch_number"] for i in day] == ["2026120200001"]  # China days: the full load's 01:30 on the 2nd
    later = client.get(BATCHES, params={"from": "2026-12-02T12:00:00+08:00"}, headers=admin).json()["items"]
    assert len(later) == 2
    first = client.get(BATCHES, params={"limit": 2}, headers=admin).json()
    assert len(first["items"]) == 2 and first["next_after"] == first["items"][-1]["id"]
    rest = client.get(BATCHES, params={"limit": 2, "after": first["next_after"]}, headers=admin).json()
    assert [i["batch_number"] for i in rest["items"]] == ["2026120200001"] and rest["next_after"] is None


def test_non_admins_are_403_and_hostile_inputs_422(own_ledger: tuple[TestClient, Services]) -> None:
    client, services = own_ledger
    admin = login(client, add_user(services, "admin"))
    for role, scope in (("supervisor", {"region_code": "410100"}), ("auditor", {})):
        assert_problem(client.get(BATCHES, headers=login(client, add_user(services, role, **scope))), 403)
    assert client.get(BATCHES).status_code == 401
    cases = [
        ({"table": "jg_jgdx_qyjbxx\x00"}, "table"), ({"table": "jg\x1b[31m"}, "table"), ({"table": "no_such"}, "table"),
        ({"table": "x" * 10_000}, "table"), ({"from": "2026-13-01"}, "from"), ({"from": "yesterday"}, "from"),
        ({"from": "2026-12-02T09:00:00"}, "from"), ({"to": "1999-12-31"}, "to"), ({"to": "2026-12-02T25:00:00+08:00"}, "to"),
        ({"from": "2026-12-03", "to": "2026-12-02"}, "to"), ({"limit": 10**12}, "limit"), ({"limit": 0}, "limit"),
        ({"limit": "many"}, "limit"), ({"after": -1}, "after"), ({"after": 2**63}, "after"), ({"from": "9" * 41}, "from"),
    ]
    for params, field in cases:
        problem = assert_problem(client.get(BATCHES, params=params, headers=admin), 422)
        assert f"query.{field}" in error_fields(problem) or "control" in str(problem).lower(), (params, problem)


def test_the_database_stopped_is_503_with_retry_after(private: tuple[str, Services]) -> None:
    url, services = private
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        admin = login(client, add_user(services, "admin"))
        assert client.get(BATCHES, headers=admin).status_code == 200
        with database_down(url):
            response = client.get(BATCHES, headers=admin)
            assert response.status_code == 503, response.text
            assert int(response.headers["retry-after"]) >= 1
        assert client.get(BATCHES, headers=admin).status_code == 200
