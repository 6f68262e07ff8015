"""Reminders end to end with the injected clock, on a ledger of their own (SQLite and PostgreSQL):
the scan and the dispatcher run as `ledger serve` runs them, SMS land in the file gateway,
in-app messages in the inbox, and every step is on the reminder's trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap import Services
from tests.conftest import add_user, login
from tests.e2e.helpers import client_token, portal_login, register_enterprise
from tests.support.builders import hazard_body, inspection_body, risk_body
from tests.support.clock import FakeClock

CST = timezone(timedelta(hours=8))


def tick(services: Services) -> None:
    """One round of what serve's background does: projections, scan, projections, dispatch."""
    runner = services.new_projection_runner()
    try:
        runner.ensure_current()
        runner.catch_up()
        assert services.reminder_scan is not None and services.dispatch is not None
        services.reminder_scan.run(services.clock())
        runner.catch_up()
        services.dispatch.run(services.clock())
        runner.catch_up()
    finally:
        runner.close()


def sms(tmp_path: Path) -> list[dict[str, str]]:
    path = tmp_path / "sms.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def reminder(client: TestClient, username: str, **params: str) -> dict[str, Any]:
    """The one reminder matching `params`, in full, read as `username` (logged in now: the clock moves
    days between calls and a session lasts an hour)."""
    headers = login(client, username)
    [found] = client.get("/api/v1/reminders", params=params, headers=headers).json()["items"]
    return client.get(f"/api/v1/reminders/{found['reminder_id']}", headers=headers).json()


def supervisors(services: Services) -> None:
    add_user(services, "supervisor", region_code="410185", industries=("hazardous_chemicals",),
             supervision_level="county", mobile="13900000001")
    add_user(services, "supervisor", region_code="410100", mobile="13900000002")
    add_user(services, "supervisor", region_code="410302", mobile="13900000003")  # Luoyang: never told


def test_risk_identification_from_notice_to_the_city_and_resolution(
        own_ledger: tuple[TestClient, Services], clock: FakeClock, tmp_path: Path) -> None:
    client, services = own_ledger
    supervisors(services)
    credit_code = register_enterprise(services, region_code="410185")  # 2026-11-23 17:00 China time
    admin = add_user(services, "admin")
    clock.advance(days=10)  # 12-03: the deadline day itself (the investigation, due 11-30, is late already)
    tick(services)
    listed = client.get("/api/v1/reminders", params={"kind": "risk_identification"}, headers=login(client, admin))
    assert listed.json()["items"] == []
    clock.advance(days=1)  # 12-04: late
    tick(services)
    notified = reminder(client, admin, kind="risk_identification")
    assert notified["status"] == "open" and notified["deadline"] == "2026-12-03"
    assert [m["mobile"] for m in sms(tmp_path)] == ["13800138000"] * 2  # the safety officer: risk + investigation
    assert any("风险辨识清单" in m["text"] for m in sms(tmp_path))
    inbox = client.get("/api/v1/inbox", headers=portal_login(client, services, credit_code)).json()
    assert inbox["unread"] == 2
    clock.advance(days=3)  # 12-07: the third day after the notice is not over yet
    tick(services)
    assert reminder(client, admin, kind="risk_identification")["status"] == "open"
    clock.advance(days=1)  # 12-08: three whole days after the notice, still late
    tick(services)
    escalated = reminder(client, admin, kind="risk_identification")
    assert escalated["status"] == "escalated" and escalated["escalation_level"] == 1
    [step] = escalated["escalations"]
    assert step["tier"] == "county" and len(step["recipients"]) == 1
    assert "13900000001" in [m["mobile"] for m in sms(tmp_path)]
    assert "13900000002" not in [m["mobile"] for m in sms(tmp_path)]
    clock.advance(days=6)  # 12-14: five whole days unanswered: the city
    tick(services)
    city = reminder(client, admin, kind="risk_identification")
    assert city["escalation_level"] == 2 and city["escalations"][1]["tier"] == "city"
    assert "13900000002" in [m["mobile"] for m in sms(tmp_path)]
    assert "13900000003" not in [m["mobile"] for m in sms(tmp_path)]
    token = client_token(client, services, credit_code)[1]
    reported_at = (clock() - timedelta(hours=1)).astimezone(CST).isoformat()
    created = client.post("/api/v1/risks", json=risk_body(identified_at=reported_at), headers=token)
    assert created.status_code == 201, created.text
    tick(services)
    resolved = reminder(client, admin, kind="risk_identification")
    assert resolved["status"] == "resolved" and resolved["resolution"]["position"] == created.json()["position"]
    assert [e["type"] for e in resolved["trail"]][:1] == ["Reminder.Raised"]
    assert {"Reminder.Escalated", "Reminder.DeliveryRecorded", "Reminder.Resolved"} <= {e["type"] for e in resolved["trail"]}


def test_hazard_investigation_counts_working_days_over_national_day(
        own_ledger: tuple[TestClient, Services], clock: FakeClock) -> None:
    client, services = own_ledger
    admin = add_user(services, "admin")
    clock.now = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)  # Monday 10:00 China time
    headers = login(client, admin)
    rules = client.get("/api/v1/supervision-rules", headers=headers).json()["rules"]
    published = client.put("/api/v1/supervision-rules", json=rules | {"day_kind": "working"}, headers=headers)
    assert published.status_code == 200, published.text
    credit_code = register_enterprise(services, region_code="410185")
    token = client_token(client, services, credit_code)[1]
    assert client.post("/api/v1/risks", json=risk_body(identified_at="2026-09-28T09:00:00+08:00"), headers=token).status_code == 201
    inspected = client.post("/api/v1/inspections", json=inspection_body(performed_at="2026-09-28T09:30:00+08:00"), headers=token)
    assert inspected.status_code == 201, inspected.text
    clock.now = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)  # calendar days would be late since 10-06
    tick(services)
    assert client.get("/api/v1/reminders", headers=login(client, admin)).json()["items"] == []
    clock.now = datetime(2026, 10, 14, 2, 0, tzinfo=UTC)  # 7 working days: 09-29, 09-30, 10-08, 10-09, 10-10 (Sat), 10-12, 10-13
    tick(services)
    late = reminder(client, admin, kind="hazard_investigation")
    assert late["deadline"] == "2026-10-13" and late["counting"]["day_kind"] == "working"
    assert late["counting"]["calendar_versions"] == {"2026": 1} and late["rule_version"] == 1
    clock.now = datetime(2026, 10, 15, 2, 0, tzinfo=UTC)
    done = client.post("/api/v1/inspections", json=inspection_body(performed_at="2026-10-15T09:00:00+08:00"), headers=token)
    tick(services)
    resolved = reminder(client, admin, kind="hazard_investigation")
    assert resolved["status"] == "resolved" and resolved["resolution"]["position"] == done.json()["position"]


def test_an_overdue_rectification_is_reminded_until_acceptance(
        own_ledger: tuple[TestClient, Services], clock: FakeClock) -> None:
    client, services = own_ledger
    admin = add_user(services, "admin")
    credit_code = register_enterprise(services, region_code="410185")
    _, token = client_token(client, services, credit_code)
    client.post("/api/v1/risks", json=risk_body(identified_at="2026-11-23T09:00:00+08:00"), headers=token)
    hazard = client.post("/api/v1/hazards", json=hazard_body(found_at="2026-11-23T10:00:00+08:00",
                                                             rectification_deadline="2026-11-25T18:00:00+08:00"), headers=token)
    assert hazard.status_code == 201, hazard.text
    clock.advance(days=2, hours=2)  # 11-25 19:00 China time: an hour past the deadline
    tick(services)
    overdue = reminder(client, admin, kind="rectification_overdue")
    assert overdue["subject"] == hazard.json()["hazard_id"] and overdue["status"] == "open"
    hazard_id = hazard.json()["hazard_id"]
    reported = client.post(f"/api/v1/hazards/{hazard_id}/rectification", headers=token,
                           json={"measures": "更换报警器", "completed_at": "2026-11-25T18:30:00+08:00", "cost": 800,
                                 "responsible_person": "王磊"})
    assert reported.status_code in (200, 201), reported.text
    tick(services)
    assert reminder(client, admin, kind="rectification_overdue")["status"] == "open"  # reported is not accepted
    accepted = client.post(f"/api/v1/hazards/{hazard_id}/acceptance", headers=token,
                           json={"passed": True, "accepted_by": "王磊", "opinion": "整改到位", "accepted_at": "2026-11-25T18:50:00+08:00"})
    assert accepted.status_code in (200, 201), accepted.text
    tick(services)
    resolved = reminder(client, admin, kind="rectification_overdue")
    assert resolved["status"] == "resolved" and resolved["resolution"]["position"] == accepted.json()["position"]


def test_a_supervisors_answer_stops_the_climb_and_others_may_not_answer(
        own_ledger: tuple[TestClient, Services], clock: FakeClock) -> None:
    client, services = own_ledger
    supervisors(services)
    county = add_user(services, "supervisor", region_code="410185", mobile="13900000009")
    luoyang = add_user(services, "supervisor", region_code="410300")
    admin = add_user(services, "admin")
    credit_code = register_enterprise(services, region_code="410185")
    clock.advance(days=11)  # 12-04: late, the enterprise is told
    tick(services)
    clock.advance(days=4)  # 12-08: escalated to the county
    tick(services)
    reminder_id = reminder(client, admin, kind="risk_identification")["reminder_id"]
    assert reminder(client, admin, kind="risk_identification")["escalation_level"] == 1
    answer = {"measures": ["phone_call", "on_site_inspection"], "result": "现场检查，责令三日内完成风险辨识。",
              "happened_at": (clock() - timedelta(hours=2)).isoformat()}
    url = f"/api/v1/reminders/{reminder_id}/responses"
    assert client.post(url, json=answer, headers=login(client, luoyang)).status_code == 403
    bad = client.post(url, json=answer | {"measures": ["telepathy"]}, headers=login(client, county))
    assert bad.status_code == 422
    done = client.post(url, json=answer, headers=login(client, county))
    assert done.status_code == 201, done.text
    clock.advance(days=8)  # five whole days and more: answered, so the city is not told
    tick(services)
    after = reminder(client, admin, kind="risk_identification")
    assert after["escalation_level"] == 1 and after["status"] == "escalated"
    assert [e["type"] for e in after["trail"]].count("Reminder.Responded") == 1
    token = client_token(client, services, credit_code)[1]
    client.post("/api/v1/risks", json=risk_body(identified_at=(clock() - timedelta(hours=1)).astimezone(CST).isoformat()),
                headers=token)
    tick(services)
    assert client.post(url, json=answer, headers=login(client, county)).status_code == 409  # resolved
