"""The supervision doors tried as an attacker and an operator would: control characters, huge
strings and lists, malformed bodies, other tenants' ids, and the database stopped mid-request."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services
from schedulers.reminder_jobs import ReminderScheduler
from tests.conftest import add_user, login
from tests.e2e.helpers import assert_problem, error_fields
from tests.support.outage import database_down

RULES = {"risk_identification_days": 10, "investigation_interval_days": 7, "rectification_overdue": True,
         "escalation_delay_days": 3, "supervisor_response_days": 5, "day_kind": "calendar"}
ANSWER = {"measures": ["phone_call"], "result": "已督促", "happened_at": "2026-11-23T08:00:00+08:00"}
CALENDAR = {"holidays": ["2026-10-01"], "workdays": ["2026-10-10"], "source": "测试"}
HUGE = "x" * (10 * 1024 * 1024)


@pytest.fixture
def doors(own_ledger: tuple[TestClient, Services]) -> tuple[TestClient, Services, dict[str, str], dict[str, str]]:
    client, services = own_ledger
    runner = services.new_projection_runner()
    runner.ensure_current()  # the read models' tables, as serve's worker makes them at start
    runner.close()
    return client, services, login(client, add_user(services, "admin")), \
        login(client, add_user(services, "supervisor", region_code="410100"))


def writes(client: TestClient, admin: dict[str, str], supervisor: dict[str, str], body_of: Any) -> list[Any]:
    reminder = f"/api/v1/reminders/{uuid.uuid4()}/responses"
    return [client.put("/api/v1/supervision-rules", json=body_of("rules"), headers=admin),
            client.put("/api/v1/calendar/2026", json=body_of("calendar"), headers=admin),
            client.post(reminder, json=body_of("answer"), headers=supervisor)]


def test_control_characters_are_refused_naming_the_field_and_nothing_is_written(doors) -> None:  # noqa: ANN001
    client, services, admin, supervisor = doors
    head = services.events.head()
    bodies = {"rules": RULES | {"routes": [{"usernames": ["a\x00b"]}]},
              "calendar": CALENDAR | {"source": "国办\x00发明电"},
              "answer": ANSWER | {"result": "已\x00督促"}}
    responses = writes(client, admin, supervisor, bodies.__getitem__)
    fields = [error_fields(assert_problem(r, 422)) for r in responses]
    assert "routes.0.usernames" in fields[0] and "source" in fields[1] and "result" in fields[2]
    for path in ("/api/v1/reminders?credit_code=%00", "/api/v1/reminders/%00", "/api/v1/inbox?before=%01"):
        assert_problem(client.get(path, headers=supervisor), 422)
    assert services.events.head() == head


def test_a_ten_megabyte_string_is_413_and_a_list_of_100000_items_422(doors) -> None:  # noqa: ANN001
    client, services, admin, supervisor = doors
    head = services.events.head()
    huge = {"rules": RULES | {"day_kind": HUGE}, "calendar": CALENDAR | {"source": HUGE}, "answer": ANSWER | {"result": HUGE}}
    assert [r.status_code for r in writes(client, admin, supervisor, huge.__getitem__)] == [413, 413, 413]
    many = {"rules": RULES | {"routes": [{"usernames": ["u"]}] * 100_000},
            "calendar": CALENDAR | {"holidays": ["2026-10-01"] * 100_000},
            "answer": ANSWER | {"attachments": ["a"] * 100_000}}
    assert [r.status_code for r in writes(client, admin, supervisor, many.__getitem__)] == [422, 422, 422]
    assert services.events.head() == head


def test_malformed_bodies_are_4xx(doors) -> None:  # noqa: ANN001
    client, _, admin, supervisor = doors
    for body in (b"{not json", b"\xff\xfe{}", b"[]", b'{"risk_identification_days": 1e999}'):
        for method, path, headers in (("PUT", "/api/v1/supervision-rules", admin), ("PUT", "/api/v1/calendar/2026", admin),
                                      ("POST", f"/api/v1/reminders/{uuid.uuid4()}/responses", supervisor)):
            response = client.request(method, path, content=body, headers=headers | {"content-type": "application/json"})
            assert 400 <= response.status_code < 500, (path, body, response.status_code, response.text)


def test_unknown_or_foreign_ids_are_404_and_roles_are_kept(doors) -> None:  # noqa: ANN001
    client, services, admin, supervisor = doors
    unknown = uuid.uuid4()
    assert_problem(client.get(f"/api/v1/reminders/{unknown}", headers=supervisor), 404)
    assert_problem(client.post(f"/api/v1/reminders/{unknown}/responses", json=ANSWER, headers=supervisor), 404)
    assert_problem(client.post(f"/api/v1/inbox/{unknown}/read", headers=supervisor), 404)
    assert_problem(client.post(f"/api/v1/reminders/{unknown}/responses", json=ANSWER, headers=admin), 403)
    assert_problem(client.put("/api/v1/supervision-rules", json=RULES, headers=supervisor), 403)
    assert_problem(client.put("/api/v1/calendar/2026", json=CALENDAR, headers=supervisor), 403)



def test_the_database_stopped_is_503_and_the_jobs_log_it_once(private: tuple[str, Services],
                                                               caplog: pytest.LogCaptureFixture) -> None:
    url, services = private
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        runner = services.new_projection_runner()
        runner.ensure_current()
        runner.close()
        admin = login(client, add_user(services, "admin"))
        supervisor = login(client, add_user(services, "supervisor", region_code="410100"))
        calls = [lambda: client.get("/api/v1/supervision-rules", headers=admin),
                 lambda: client.put("/api/v1/supervision-rules", json=RULES, headers=admin),
                 lambda: client.get("/api/v1/reminders", headers=supervisor),
                 lambda: client.get(f"/api/v1/reminders/{uuid.uuid4()}", headers=supervisor),
                 lambda: client.post(f"/api/v1/reminders/{uuid.uuid4()}/responses", json=ANSWER, headers=supervisor),
                 lambda: client.get("/api/v1/inbox", headers=supervisor),
                 lambda: client.get("/api/v1/calendar/2026", headers=admin)]
        assert services.reminder_scan is not None and services.dispatch is not None
        scheduler = ReminderScheduler(services.reminder_scan, services.dispatch, services.clock, "0 * * * *", 30)
        with caplog.at_level(logging.INFO):
            with database_down(url):
                for call in calls:
                    response = call()
                    assert response.status_code == 503, response.text
                    assert int(response.headers["retry-after"]) >= 1
                for _ in range(4):
                    scheduler._guarded("reminder scan", services.reminder_scan.run)()  # noqa: SLF001 - as APScheduler calls it
                    scheduler._guarded("reminder dispatch", services.dispatch.run)()  # noqa: SLF001
            scheduler._guarded("reminder dispatch", services.dispatch.run)()  # noqa: SLF001 - back again
            assert client.get("/api/v1/reminders", headers=supervisor).status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "ledger.availability" and "(reminders" in r.getMessage()]
    assert len([line for line in lines if "database unreachable" in line]) == 1, lines
    assert len([line for line in lines if "reachable again" in line]) == 1, lines
    assert not [r for r in caplog.records if r.exc_info is not None]
