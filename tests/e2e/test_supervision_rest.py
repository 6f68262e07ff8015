"""The supervision doors over HTTP: rules (admin writes, everyone reads, field errors), reminders
scoped per caller with their whole trail, and the inbox with read marks."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap import Services
from tests.conftest import add_user, login
from tests.e2e.helpers import assert_problem, client_token, portal_login, register_enterprise
from tests.support.clock import FakeClock

RULES = "/api/v1/supervision-rules"
WHOLE = {"risk_identification_days": 10, "investigation_interval_days": 5, "rectification_overdue": True,
         "escalation_delay_days": 3, "supervisor_response_days": 5, "day_kind": "working",
         "quiet_hours": {"start": "22:00", "end": "07:00"},
         "industry_overrides": {"fireworks": {"investigation_interval_days": 3}},
         "routes": [{"usernames": ["duty-officer"], "industry": "hazardous_chemicals", "mode": "add"}]}


def admin(client: TestClient, services: Services) -> dict[str, str]:
    return login(client, add_user(services, "admin"))


def test_rules_start_at_the_seed_defaults_and_change_only_by_admins(own_ledger: tuple[TestClient, Services]) -> None:
    client, services = own_ledger
    headers = admin(client, services)
    current = client.get(RULES, headers=headers).json()
    assert current["version"] == 0 and current["rules"]["risk_identification_days"] == 10
    assert current["rules"]["escalation_delay_days"] == 3 and current["rules"]["day_kind"] == "calendar"
    put = client.put(RULES, json=WHOLE, headers=headers)
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 1 and put.json()["rules"]["investigation_interval_days"] == 5
    supervisor = login(client, add_user(services, "supervisor", region_code="410100"))
    assert client.get(RULES, headers=supervisor).json()["version"] == 1
    assert_problem(client.put(RULES, json=WHOLE, headers=supervisor), 403)
    versions = client.get(f"{RULES}/versions", headers=supervisor).json()
    assert [v["version"] for v in versions] == [1] and versions[0]["actor"].startswith("user:admin-")


def test_bad_rules_are_refused_with_every_field_named_and_nothing_written(own_ledger: tuple[TestClient, Services]) -> None:
    client, services = own_ledger
    headers = admin(client, services)
    head = services.events.head()
    bad = WHOLE | {"escalation_delay_days": -1, "supervisor_response_days": 0,
                   "industry_overrides": {"bakery": {"investigation_interval_days": 3}}}
    body = assert_problem(client.put(RULES, json=bad, headers=headers), 422)
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "escalation_delay_days"),
                                                        ("body", "supervisor_response_days"),
                                                        ("body", "industry_overrides", "bakery")}
    missing = {k: v for k, v in WHOLE.items() if k != "day_kind"}
    assert_problem(client.put(RULES, json=missing, headers=headers), 422)
    early = WHOLE | {"effective_from": "2020-01-01T00:00:00+08:00"}
    assert client.put(RULES, json=WHOLE, headers=headers).status_code == 200
    assert_problem(client.put(RULES, json=early, headers=headers), 422)
    assert services.events.head() == head + 1


def scan(services: Services) -> None:
    runner = services.new_projection_runner()
    try:
        runner.ensure_current()
        runner.catch_up()
        assert services.reminder_scan is not None
        services.reminder_scan.run(services.clock())
        runner.catch_up()
    finally:
        runner.close()


def items(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_reminders_are_scoped_and_explain_themselves(client: TestClient, services: Services, clock: FakeClock) -> None:
    zhengzhou = register_enterprise(services, region_code="410185")
    luoyang = register_enterprise(services, region_code="410302")
    clock.advance(days=12)
    scan(services)
    headers = admin(client, services)
    everything = [r for code in (zhengzhou, luoyang)
                  for r in items(client.get("/api/v1/reminders", params={"credit_code": code}, headers=headers))]
    assert {r["credit_code"] for r in everything} == {zhengzhou, luoyang}
    assert {r["kind"] for r in everything} == {"risk_identification", "hazard_investigation"}
    _, own = client_token(client, services, zhengzhou)
    mine = items(client.get("/api/v1/reminders", headers=own))
    assert {r["credit_code"] for r in mine} == {zhengzhou}
    city = login(client, add_user(services, "supervisor", region_code="410100"))
    assert items(client.get("/api/v1/reminders", params={"credit_code": zhengzhou}, headers=city))
    assert items(client.get("/api/v1/reminders", params={"credit_code": luoyang}, headers=city)) == []
    filtered = items(client.get("/api/v1/reminders", params={"kind": "risk_identification", "status": "open",
                                                             "credit_code": zhengzhou}, headers=city))
    assert len(filtered) == 1
    reminder_id = filtered[0]["reminder_id"]
    detail = client.get(f"/api/v1/reminders/{reminder_id}", headers=own).json()
    assert detail["fact"] == "2026-11-23 注册，截至 2026-12-03 未上报安全风险辨识"
    assert detail["deadline"] == "2026-12-03" and detail["rule_version"] == 0
    assert detail["counting"]["day_kind"] == "calendar"
    [raised] = detail["trail"]
    assert raised["type"] == "Reminder.Raised" and raised["position"] > 0 and raised["recorded_at"]
    assert raised["metadata"]["actor"] == "system:reminder-scan"
    luoyang_reminder = next(r for r in everything if r["credit_code"] == luoyang)["reminder_id"]
    assert_problem(client.get(f"/api/v1/reminders/{luoyang_reminder}", headers=city), 404)
    assert_problem(client.get(f"/api/v1/reminders/{luoyang_reminder}", headers=own), 404)
    assert_problem(client.get("/api/v1/reminders", params={"after": "garbage"}, headers=city), 422)


def test_the_inbox_shows_unread_messages_and_keeps_read_marks(client: TestClient, services: Services, clock: FakeClock) -> None:
    credit_code = register_enterprise(services)
    clock.advance(days=12)
    scan(services)
    portal = portal_login(client, services, credit_code)
    inbox = client.get("/api/v1/inbox", headers=portal).json()
    assert inbox["unread"] == 2 and len(inbox["items"]) == 2
    assert all("请尽快登录双重预防系统处理" in m["text"] for m in inbox["items"])
    message_id = inbox["items"][0]["message_id"]
    marked = client.post(f"/api/v1/inbox/{message_id}/read", headers=portal)
    assert marked.status_code == 200, marked.text
    again = client.post(f"/api/v1/inbox/{message_id}/read", headers=portal)
    assert again.status_code == 200 and again.json()["position"] is None  # nothing new written
    scan(services)  # catches the read model up
    inbox = client.get("/api/v1/inbox", headers=portal).json()
    assert inbox["unread"] == 1 and next(m for m in inbox["items"] if m["message_id"] == message_id)["read_at"]
    stranger = portal_login(client, services, register_enterprise(services))
    assert_problem(client.post(f"/api/v1/inbox/{message_id}/read", headers=stranger), 404)
    assert client.get("/api/v1/inbox", headers=stranger).json()["items"] == []


def graphql(client: TestClient, headers: dict[str, str], query: str) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_graphql_reads_rules_reminders_and_the_inbox_in_scope(client: TestClient, services: Services, clock: FakeClock) -> None:
    zhengzhou = register_enterprise(services, region_code="410185")
    luoyang = register_enterprise(services, region_code="410302")
    clock.advance(days=12)
    scan(services)
    city = login(client, add_user(services, "supervisor", region_code="410100"))
    query = """query($code: String) { supervisionRules { version rules }
        reminders(first: 1, kind: "hazard_investigation", creditCode: $code) {
            asOfPosition edges { cursor node { creditCode kind status deadline fact } } pageInfo { hasNextPage endCursor } } }"""
    response = client.post("/graphql", json={"query": query, "variables": {"code": zhengzhou}}, headers=city).json()
    assert response["data"]["supervisionRules"]["rules"]["escalation_delay_days"] == 3
    [edge] = response["data"]["reminders"]["edges"]
    assert edge["node"]["creditCode"] == zhengzhou and edge["node"]["status"] == "open"
    assert response["data"]["reminders"]["pageInfo"]["hasNextPage"] is False
    outside = client.post("/graphql", json={"query": query, "variables": {"code": luoyang}}, headers=city).json()
    assert outside["data"]["reminders"]["edges"] == []  # Luoyang is outside a Zhengzhou supervisor's scope
    portal = portal_login(client, services, zhengzhou)
    inbox = graphql(client, portal, "{ inbox { unread items { title text readAt } } }")["inbox"]
    assert inbox["unread"] == 2 and {m["title"] for m in inbox["items"]} == {"风险辨识提醒", "隐患排查提醒"}
    refused = client.post("/graphql", json={"query": '{ reminders(kind: "bogus") { asOfPosition } }'}, headers=city).json()
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_an_admin_corrects_a_calendar_year(own_ledger: tuple[TestClient, Services]) -> None:
    client, services = own_ledger
    headers = admin(client, services)
    loaded = client.get("/api/v1/calendar/2026", headers=headers)  # published at start from the package
    assert loaded.status_code == 200 and "2026-10-10" in loaded.json()["workdays"]
    body = {"holidays": loaded.json()["holidays"] + ["2026-12-31"], "workdays": loaded.json()["workdays"],
            "source": "省政府通知（测试）"}
    corrected = client.put("/api/v1/calendar/2026", json=body, headers=headers)
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["version"] == 2 and "2026-12-31" in corrected.json()["holidays"]
    assert client.put("/api/v1/calendar/2026", json=body, headers=headers).json()["position"] is None
    wrong = body | {"holidays": ["2025-12-31"]}
    assert {tuple(e["loc"]) for e in assert_problem(client.put("/api/v1/calendar/2026", json=wrong, headers=headers), 422)["errors"]} == {("body", "holidays")}
    assert_problem(client.put("/api/v1/calendar/2026", json=body, headers=login(client, add_user(services, "auditor"))), 403)
    assert_problem(client.get("/api/v1/calendar/2099", headers=headers), 404)
