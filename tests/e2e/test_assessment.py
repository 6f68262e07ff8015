"""绩效考核 end to end with the injected clock (SQLite and PostgreSQL): scores per supervisor and per
region from the escalations of a month, with their inputs, the rule version and its weights."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap import Services
from tests.conftest import add_user, login
from tests.e2e.helpers import client_token, register_enterprise
from tests.e2e.test_reminder_scenarios import tick
from tests.support.builders import risk_body
from tests.support.clock import FakeClock

QUERY = """query($region: String!, $period: String!) { assessment(regionCode: $region, period: $period) {
  period ruleVersion weights asOfPosition judgedOn
  region { code score inputs { answeredInTime answeredLate unanswered pending enforcementEntries assessed } }
  children { code score }
  supervisors { username score inputs { answeredInTime answeredByOthers unanswered pending enforcementEntries } }
} }"""


def assessment(client: TestClient, username: str, region: str, period: str = "2026-12") -> dict[str, Any]:
    body = client.post("/graphql", json={"query": QUERY, "variables": {"region": region, "period": period}},
                       headers=login(client, username)).json()
    assert "errors" not in body, body
    return body["data"]["assessment"]


def late_investigator(client: TestClient, services: Services) -> str:
    """An enterprise that reported a risk but never investigates: one hazard-investigation reminder."""
    credit_code = register_enterprise(services, region_code="410185")
    token = client_token(client, services, credit_code)[1]
    assert client.post("/api/v1/risks", json=risk_body(identified_at="2026-11-23T16:00:00+08:00"), headers=token).status_code == 201
    return credit_code


def test_scores_follow_what_each_supervisor_did_with_the_weights_of_the_rules(
        own_ledger: tuple[TestClient, Services], clock: FakeClock) -> None:
    client, services = own_ledger
    admin = add_user(services, "admin")
    first = add_user(services, "supervisor", region_code="410185", supervision_level="county", mobile="13900000001")
    second = add_user(services, "supervisor", region_code="410185", supervision_level="county", mobile="13900000004")
    city = add_user(services, "supervisor", region_code="410100", mobile="13900000002")
    answered, ignored = late_investigator(client, services), late_investigator(client, services)
    clock.advance(days=8)  # 12-01: investigation due 11-30 is late: reminders raised
    tick(services)
    clock.advance(days=4)  # 12-05: escalated to the county supervisors, respond by 12-10
    tick(services)
    reminder_of = {r["credit_code"]: r["reminder_id"] for r in
                   client.get("/api/v1/reminders", headers=login(client, admin)).json()["items"]}
    clock.advance(days=1)  # 12-06: the first supervisor answers one in time
    response = client.post(f"/api/v1/reminders/{reminder_of[answered]}/responses", headers=login(client, first), json={
        "measures": ["phone_call"], "result": "已电话督促", "happened_at": clock().isoformat()})
    assert response.status_code == 201, response.text
    clock.advance(days=5)  # 12-11: the other one climbed to the city (pending there)
    tick(services)

    report = assessment(client, admin, "410100")
    assert report["period"] == "2026-12" and report["ruleVersion"] == 0 and report["weights"]["answered_late"] == 0.6
    people = {p["username"]: p for p in report["supervisors"]}
    assert (people[first]["score"], people[first]["inputs"]) == (50.0, {
        "answeredInTime": 1, "answeredByOthers": 0, "unanswered": 1, "pending": 0, "enforcementEntries": 0})
    assert (people[second]["score"], people[second]["inputs"]["answeredByOthers"]) == (40.0, 1)  # (0.8 + 0) / 2
    assert people[city]["score"] is None and people[city]["inputs"]["pending"] == 1
    assert [p["username"] for p in report["supervisors"]][:2] == [second, first]  # lowest score first
    assert report["region"]["inputs"] == {"answeredInTime": 1, "answeredLate": 0, "unanswered": 1, "pending": 1,
                                          "enforcementEntries": 0, "assessed": 2}
    assert report["region"]["score"] == 50.0
    assert {c["code"]: c["score"] for c in report["children"]}["410185"] == 50.0
    assert assessment(client, admin, "410100", "2026-11")["region"]["score"] is None  # nothing raised in November

    planned = client.post("/api/v1/enforcement-plan/entries", headers=login(client, first), json={
        "credit_code": ignored, "period": "2027-01", "reason": "逾期未排查", "reminder_id": reminder_of[ignored]})
    assert planned.status_code == 201, planned.text
    tick(services)
    assert {p["username"]: p for p in assessment(client, admin, "410185")["supervisors"]}[first]["score"] == 52.0  # +2

    headers = login(client, admin)
    rules = client.get("/api/v1/supervision-rules", headers=headers).json()["rules"]
    stricter = rules | {"assessment_weights": rules["assessment_weights"] | {"answered_by_others": 0.0}}
    assert client.put("/api/v1/supervision-rules", json=stricter, headers=headers).status_code == 200
    rescored = assessment(client, admin, "410185")
    assert rescored["ruleVersion"] == 1 and {p["username"]: p for p in rescored["supervisors"]}[second]["score"] == 0.0


def test_assessment_is_scoped_and_refuses_bad_periods(own_ledger: tuple[TestClient, Services]) -> None:
    client, services = own_ledger
    zhengzhou = add_user(services, "supervisor", region_code="410100")
    tick(services)
    headers = login(client, zhengzhou)
    for region, period, code in (("410300", "2026-12", "FORBIDDEN"), ("410100", "2026-13", "BAD_USER_INPUT"),
                                 ("410100", "2026-Q5", "BAD_USER_INPUT"), ("999999", "2026-12", "BAD_USER_INPUT"),
                                 ("410100", "2026-12\x00", "BAD_USER_INPUT")):
        body = client.post("/graphql", json={"query": QUERY, "variables": {"region": region, "period": period}},
                           headers=headers).json()
        assert body["errors"][0]["extensions"]["code"] == code, (region, period, body)
    assert assessment(client, zhengzhou, "410100", "2026-Q4")["region"]["score"] is None
