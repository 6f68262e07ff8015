"""The closed-loop report (issue 11) end to end with the injected clock, on SQLite and PostgreSQL.

Three enterprises of 410185 (Xinzheng, Zhengzhou) and one of 410302 (Luoyang) are late with their
risk list; on 12-08 their reminders are escalated: 410185's to two county supervisors A and B,
Luoyang's to its own. A answers the first in time; nobody answers the second; A puts the third on
the enforcement plan for its reminder; nobody answers Luoyang's. On 12-14 (deadlines 12-13 passed)
the report says exactly that at every level, per supervisor and in the inaction list, and as of the
position right after the escalations it says what was true then.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services
from tests.conftest import add_user, login
from tests.e2e.helpers import register_enterprise
from tests.e2e.test_reminder_scenarios import reminder, tick
from tests.support.clock import FakeClock
from tests.support.outage import database_down

QUERY = """
query C($region: String!, $asOf: Int, $kind: String, $first: Int) {
  closedLoop(regionCode: $region, from: "2026-12-01", to: "2026-12-31", kind: $kind, asOfPosition: $asOf) {
    asOfPosition judgedOn region { code level }
    totals { ...F }
    children { region { code } figures { ...F } }
    byIndustry { industry figures { raised escalations unanswered } }
    enterprises(first: 50) { edges { node { creditCode raised escalations answeredInTime unanswered onPlan } } }
    bySupervisor { username received answeredInTime answeredLate answeredByOthers unanswered pending planEntries
                   responseDaysMedian }
    inaction(first: $first) {
      asOfPosition totalCount
      edges { cursor node { creditCode level tier why supervisors
        reminder { reminderId status messages { channel recipient status } trail { type position } } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
fragment F on ClosedLoopFigures {
  raised raisedByKind { kind reminders } enterprisesNotified enterprisesCompliedBeforeEscalation escalations
  answeredInTime answeredLate unanswered pending endedBeforeDeadline enterprisesOnPlan responseDaysMedian responseDaysP90
}
"""
RISK = "risk_identification"


def closed_loop(client: TestClient, headers: dict[str, str], region: str, **variables: Any) -> dict[str, Any]:
    body = client.post("/graphql", json={"query": QUERY, "variables": {"region": region, "kind": RISK} | variables},
                       headers=headers).json()
    assert not body.get("errors"), body["errors"]
    return body["data"]["closedLoop"]


def errors(client: TestClient, headers: dict[str, str], region: str, **variables: Any) -> list[dict[str, Any]]:
    body = client.post("/graphql", json={"query": QUERY, "variables": {"region": region} | variables}, headers=headers)
    return body.json().get("errors") or []


def figures(report: dict[str, Any], code: str) -> dict[str, Any]:
    [child] = [c["figures"] for c in report["children"] if c["region"]["code"] == code]
    return child


def answer(client: TestClient, username: str, reminder_id: str, happened_at: str) -> None:
    done = client.post(f"/api/v1/reminders/{reminder_id}/responses", headers=login(client, username),
                       json={"measures": ["phone_call"], "result": "电话督促，责令完成风险辨识。", "happened_at": happened_at})
    assert done.status_code == 201, done.text


@pytest.fixture
def story(own_ledger: tuple[TestClient, Services], clock: FakeClock) -> dict[str, Any]:
    client, services = own_ledger
    a = add_user(services, "supervisor", region_code="410185", mobile="13900000011")
    b = add_user(services, "supervisor", region_code="410185", mobile="13900000012")
    zhengzhou = add_user(services, "supervisor", region_code="410100", mobile="13900000013")
    luoyang = add_user(services, "supervisor", region_code="410302", mobile="13900000014")
    admin, auditor = add_user(services, "admin"), add_user(services, "auditor")
    e1, e2, e3 = (register_enterprise(services, region_code="410185") for _ in range(3))
    e4 = register_enterprise(services, region_code="410302")
    clock.advance(days=11)  # 12-04: late, the enterprises are told
    tick(services)
    clock.advance(days=4)  # 12-08: escalated to their county's supervisors
    tick(services)
    ids = {code: reminder(client, admin, kind=RISK, credit_code=code)["reminder_id"] for code in (e1, e2, e3, e4)}
    before_answers = closed_loop(client, login(client, admin), "410000")["asOfPosition"]
    answer(client, a, ids[e1], clock().isoformat())
    planned = client.post("/api/v1/enforcement-plan/entries", headers=login(client, a),
                          json={"credit_code": e3, "period": "2026-12", "reason": "逾期未辨识风险，列入执法计划。",
                                "reminder_id": ids[e3]})
    assert planned.status_code == 201, planned.text
    runner = services.new_projection_runner()
    runner.catch_up()
    runner.close()
    clock.advance(days=6)  # 12-14: the deadline (12-13) passed for everyone unanswered; no scan ran since
    return {"client": client, "services": services, "a": a, "b": b, "zhengzhou": zhengzhou, "luoyang": luoyang,
            "admin": admin, "auditor": auditor, "codes": (e1, e2, e3, e4), "ids": ids, "before": before_answers}


def test_the_report_shows_who_answered_and_who_did_not_at_every_level(story: dict[str, Any]) -> None:
    client, (e1, e2, e3, e4) = story["client"], story["codes"]
    a, b, luoyang = story["a"], story["b"], story["luoyang"]
    headers = login(client, story["auditor"])
    province = closed_loop(client, headers, "410000")
    assert province["judgedOn"] == "2026-12-14" and province["region"]["level"] == "province"
    totals = province["totals"]
    assert {k: totals[k] for k in ("raised", "enterprisesNotified", "escalations", "answeredInTime", "answeredLate",
                                   "unanswered", "pending", "enterprisesOnPlan", "enterprisesCompliedBeforeEscalation")} == {
        "raised": 4, "enterprisesNotified": 4, "escalations": 4, "answeredInTime": 2, "answeredLate": 0,
        "unanswered": 2, "pending": 0, "enterprisesOnPlan": 1, "enterprisesCompliedBeforeEscalation": 0}
    assert totals["responseDaysMedian"] == 0 and {k["kind"]: k["reminders"] for k in totals["raisedByKind"]}[RISK] == 4
    assert figures(province, "410100")["escalations"] == 3 and figures(province, "410100")["unanswered"] == 1
    assert figures(province, "410300")["escalations"] == 1 and figures(province, "410300")["unanswered"] == 1
    assert figures(province, "410200")["raised"] == 0
    city = closed_loop(client, headers, "410100")
    assert figures(city, "410185") == city["totals"] and city["totals"]["answeredInTime"] == 2
    county = closed_loop(client, headers, "410185")
    assert county["children"] == [] and county["totals"]["unanswered"] == 1 and county["totals"]["enterprisesOnPlan"] == 1
    by_code = {e["node"]["creditCode"]: e["node"] for e in county["enterprises"]["edges"]}
    assert sorted(by_code) == sorted([e1, e2, e3])
    assert (by_code[e1]["answeredInTime"], by_code[e2]["unanswered"], by_code[e3]["onPlan"]) == (1, 1, True)
    people = {p["username"]: p for p in province["bySupervisor"]}
    assert set(people) == {a, b, luoyang}
    assert {k: people[a][k] for k in ("received", "answeredInTime", "answeredByOthers", "unanswered", "planEntries")} == {
        "received": 3, "answeredInTime": 2, "answeredByOthers": 0, "unanswered": 1, "planEntries": 1}
    assert {k: people[b][k] for k in ("received", "answeredInTime", "answeredByOthers", "unanswered", "planEntries")} == {
        "received": 3, "answeredInTime": 0, "answeredByOthers": 2, "unanswered": 1, "planEntries": 0}
    assert people[luoyang]["unanswered"] == 1 and people[b]["responseDaysMedian"] is None
    inaction = province["inaction"]
    assert inaction["totalCount"] == 2 and inaction["asOfPosition"] == province["asOfPosition"]
    nodes = {e["node"]["creditCode"]: e["node"] for e in inaction["edges"]}
    assert set(nodes) == {e2, e4}
    assert nodes[e2]["supervisors"] == sorted([a, b]) and nodes[e2]["why"] == "deadline_passed" and nodes[e2]["tier"] == "county"
    trail = nodes[e2]["reminder"]
    assert trail["reminderId"] == story["ids"][e2] and trail["status"] == "escalated"
    assert {"Reminder.Raised", "Reminder.Escalated"} <= {e["type"] for e in trail["trail"]}
    assert {f"user:{a}", f"user:{b}"} <= {m["recipient"] for m in trail["messages"]}
    assert any(m["channel"] == "sms" and m["status"] == "delivered" for m in trail["messages"])
    page = closed_loop(client, headers, "410000", first=1)["inaction"]
    assert len(page["edges"]) == 1 and page["pageInfo"]["hasNextPage"]


def test_an_earlier_position_shows_the_earlier_state(story: dict[str, Any]) -> None:
    client = story["client"]
    headers = login(client, story["admin"])
    then = closed_loop(client, headers, "410000", asOf=story["before"])
    assert then["asOfPosition"] == story["before"] and then["judgedOn"] == "2026-12-08"
    assert {k: then["totals"][k] for k in ("escalations", "answeredInTime", "unanswered", "pending", "enterprisesOnPlan")} == {
        "escalations": 4, "answeredInTime": 0, "unanswered": 0, "pending": 4, "enterprisesOnPlan": 0}
    assert then["inaction"]["totalCount"] == 0 and then["inaction"]["edges"] == []
    assert {p["username"]: p["pending"] for p in then["bySupervisor"]}[story["a"]] == 3
    now = closed_loop(client, headers, "410000")
    assert now["asOfPosition"] > then["asOfPosition"] and now["totals"]["answeredInTime"] == 2


def test_zhengzhou_sees_only_zhengzhou_and_the_auditor_sees_all(story: dict[str, Any]) -> None:
    client, e4 = story["client"], story["codes"][3]
    zhengzhou = login(client, story["zhengzhou"])
    assert errors(client, zhengzhou, "410000")[0]["extensions"]["code"] == "FORBIDDEN"
    assert errors(client, zhengzhou, "410300")[0]["extensions"]["code"] == "FORBIDDEN"
    mine = closed_loop(client, zhengzhou, "410100")
    assert story["luoyang"] not in {p["username"] for p in mine["bySupervisor"]}
    assert e4 not in {e["node"]["creditCode"] for e in mine["inaction"]["edges"]}
    assert mine["totals"]["escalations"] == 3
    everything = closed_loop(client, login(client, story["auditor"]), "410300")
    assert story["luoyang"] in {p["username"] for p in everything["bySupervisor"]}
    assert client.get("/api/v1/reports/closed-loop.xlsx", headers=zhengzhou,
                      params={"region_code": "410300", "from": "2026-12-01", "to": "2026-12-31"}).status_code == 403


def test_the_excel_report_has_the_graphql_counts(story: dict[str, Any]) -> None:
    client = story["client"]
    headers = login(client, story["admin"])
    report = closed_loop(client, headers, "410000")
    response = client.get("/api/v1/reports/closed-loop.xlsx", headers=headers,
                          params={"region_code": "410000", "from": "2026-12-01", "to": "2026-12-31", "kind": RISK})
    assert response.status_code == 200, response.text
    assert response.headers["x-as-of-position"] == str(report["asOfPosition"])
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["地区", "监管人员", "不作为清单"]
    regions, people, inaction = (list(book[name].iter_rows(values_only=True)) for name in book.sheetnames)
    assert regions[3][:3] == ("行政区划", "地区名称", "提醒数") and "账本位置" in regions[2][0]
    assert len(regions) - 4 == 1 + len(report["children"])
    assert regions[4][0] == "410000" and regions[4][list(regions[3]).index("未处理(不作为)")] == 2
    assert people[3][0] == "监管人员" and len(people) - 4 == len(report["bySupervisor"])
    assert inaction[3][1] == "统一社会信用代码" and len(inaction) - 4 == report["inaction"]["totalCount"]


def test_hostile_inputs_are_refused(story: dict[str, Any]) -> None:
    client = story["client"]
    headers = login(client, story["admin"])
    url = "/api/v1/reports/closed-loop.xlsx"
    good = {"region_code": "410000", "from": "2026-12-01", "to": "2026-12-31"}
    for params in (good | {"from": "2026-13-01"}, good | {"to": "2026-11-01"}, good | {"region_code": "999999"},
                   good | {"region_code": "41"}, good | {"industry": "a\x00b"}, good | {"as_of_position": "-1"},
                   good | {"as_of_position": str(2**70)}, good | {"kind": "telepathy"}):
        assert client.get(url, params=params, headers=headers).status_code == 422, params
    enterprise = client.get(url, params=good)
    assert enterprise.status_code == 401
    assert client.get(url, params=good | {"as_of_position": str(10**9)}, headers=headers).status_code == 422
    codes = [errors(client, headers, "410000", asOf=-1), errors(client, headers, "410000", asOf=10**9),
             errors(client, headers, "410000", first=100_000), errors(client, headers, "999999"),
             errors(client, headers, "41\u0000")]
    # a huge page is refused by its cost before anything runs
    assert [e[0]["extensions"]["code"] for e in codes] == ["BAD_USER_INPUT"] * 2 + ["QUERY_TOO_COMPLEX"] + ["BAD_USER_INPUT"] * 2
    body = {"query": 'query { closedLoop(regionCode: "410000", from: "2026-12-31", to: "2026-12-01") { asOfPosition } }'}
    assert client.post("/graphql", json=body, headers=headers).json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = {"query": 'query { closedLoop(regionCode: "410000", from: "2026-02-30", to: "2026-12-01") { asOfPosition } }'}
    assert client.post("/graphql", json=body, headers=headers).json()["errors"]
    # The sub-lists read ahead beside the report refuse bad sizes and cursors as when read alone.
    for sub in ("bySupervisor(first: 0) { username }", "inaction(first: -1) { totalCount }",
                'inaction(first: 2, after: "not-a-cursor") { totalCount }', "bySupervisor(first: 100000) { username }"):
        body = {"query": 'query { closedLoop(regionCode: "410000", from: "2026-12-01", to: "2026-12-31") { ' + sub + " } }"}
        answer = client.post("/graphql", json=body, headers=headers)
        assert answer.status_code == 200 and answer.json()["errors"], sub
    huge = client.post("/graphql", json={"query": QUERY, "variables": {"region": "4" * 10_000_000}}, headers=headers)
    assert huge.status_code in (400, 413, 422) or huge.json()["errors"]



def test_the_database_stopped_is_503(private: tuple[str, Services]) -> None:
    url, services = private
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        runner = services.new_projection_runner()
        runner.ensure_current()
        runner.close()
        headers = login(client, add_user(services, "admin"))
        params = {"region_code": "410000", "from": "2026-12-01", "to": "2026-12-31"}
        body = {"query": 'query { closedLoop(regionCode: "410000", from: "2026-12-01", to: "2026-12-31") { asOfPosition } }'}
        assert client.get("/api/v1/reports/closed-loop.xlsx", params=params, headers=headers).status_code == 200
        everything = {"query": QUERY, "variables": {"region": "410000"}}  # the report with its read-ahead sub-lists
        assert not client.post("/graphql", json=everything, headers=headers).json().get("errors")
        with database_down(url):
            assert client.get("/api/v1/reports/closed-loop.xlsx", params=params, headers=headers).status_code == 503
            assert client.post("/graphql", json=body, headers=headers).status_code == 503
            down = client.post("/graphql", json=everything, headers=headers)
            assert down.status_code == 503 and down.headers.get("retry-after"), down.text
        assert client.post("/graphql", json=body, headers=headers).status_code == 200


def test_percentiles_interpolate_like_postgresql() -> None:
    from projections.supervision.closed_loop_queries import percentile

    assert percentile({}, 0.5) is None
    assert percentile({1: 1, 2: 1, 3: 1, 10: 1}, 0.5) == 2.5
    assert percentile({0: 9, 10: 1}, 0.9) == 1.0
    assert date(2026, 12, 14) > date(2026, 12, 13)


def test_sub_lists_read_ahead_or_not_answer_the_same(story: dict[str, Any]) -> None:
    """bySupervisor and inaction are read beside the report when the query shows their size; aliases
    of different sizes and fragments that hide it get the same answers."""
    client = story["client"]
    headers = login(client, story["admin"])
    query = """
    query { closedLoop(regionCode: "410000", from: "2026-12-01", to: "2026-12-31") {
      one: bySupervisor(first: 1) { username unanswered responseDaysMedian }
      three: bySupervisor(first: 3) { username unanswered responseDaysMedian }
      inaction(first: 1) { edges { cursor node { creditCode } } }
      ... on ClosedLoop { later: inaction(first: 2) { edges { node { creditCode } } } }
    } }"""
    hidden = """
    query { closedLoop(regionCode: "410000", from: "2026-12-01", to: "2026-12-31") {
      ... on ClosedLoop { three: bySupervisor(first: 3) { username unanswered responseDaysMedian }
                          inaction(first: 1) { edges { cursor node { creditCode } } } }
    } }"""
    ahead = client.post("/graphql", json={"query": query}, headers=headers).json()
    behind = client.post("/graphql", json={"query": hidden}, headers=headers).json()
    assert not ahead.get("errors") and not behind.get("errors"), (ahead, behind)
    a, b = ahead["data"]["closedLoop"], behind["data"]["closedLoop"]
    assert len(a["three"]) == 3 and a["one"] == a["three"][:1] and a["three"] == b["three"]
    assert a["inaction"] == b["inaction"] and len(a["later"]["edges"]) == 2
    assert a["later"]["edges"][0]["node"] == a["inaction"]["edges"][0]["node"]
