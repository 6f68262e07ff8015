"""时限监察 end to end with the injected clock (SQLite and PostgreSQL): overdue rectifications and
unanswered escalations past their response deadline, in scope, with days overdue, in GraphQL and
in the .xlsx."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import openpyxl
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services
from tests.conftest import add_user, login
from tests.e2e.helpers import assert_problem, client_token, register_enterprise
from tests.e2e.test_reminder_scenarios import tick
from tests.support.builders import hazard_body
from tests.support.clock import FakeClock
from tests.support.outage import database_down

QUERY = """query($region: String, $first: Int!) { timeLimits(regionCode: $region) {
  overdueRectifications(first: $first) { asOfPosition totalCount edges { cursor node { hazardCode creditCode daysOverdue } }
                                         pageInfo { hasNextPage endCursor } }
  overdueEscalations(first: $first) { totalCount edges { node { creditCode level tier respondBy daysOverdue climbed supervisors } } }
} }"""


def time_limits(client: TestClient, username: str, region: str | None = None, first: int = 20) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": QUERY, "variables": {"region": region, "first": first}},
                           headers=login(client, username))
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["timeLimits"]


def test_overdue_rectifications_and_escalations_in_scope_with_days_overdue(
        own_ledger: tuple[TestClient, Services], clock: FakeClock) -> None:
    client, services = own_ledger
    admin = add_user(services, "admin")
    zhengzhou = add_user(services, "supervisor", region_code="410100", mobile="13900000002")
    county = add_user(services, "supervisor", region_code="410185", supervision_level="county", mobile="13900000001")
    luoyang = add_user(services, "supervisor", region_code="410300", mobile="13900000003")
    ours = register_enterprise(services, region_code="410185")  # 2026-11-23 17:00 China time
    theirs = register_enterprise(services, region_code="410302")
    for credit_code, deadline in ((ours, "2026-11-24T18:00:00+08:00"), (theirs, "2026-11-25T18:00:00+08:00")):
        token = client_token(client, services, credit_code)[1]
        body = hazard_body(found_at="2026-11-23T10:00:00+08:00", rectification_deadline=deadline)
        assert client.post("/api/v1/hazards", json=body, headers=token).status_code == 201
    tick(services)
    assert time_limits(client, admin)["overdueRectifications"]["totalCount"] == 0

    clock.advance(days=3)  # 11-26 17:00: both deadlines passed; rectification reminders raised
    tick(services)
    everything = time_limits(client, admin, first=1)["overdueRectifications"]
    assert everything["totalCount"] == 2 and everything["pageInfo"]["hasNextPage"]
    [most_overdue] = [e["node"] for e in everything["edges"]]
    assert (most_overdue["creditCode"], most_overdue["daysOverdue"]) == (ours, 2)  # due 11-24: most overdue first
    after = everything["pageInfo"]["endCursor"]
    second = client.post("/graphql", json={"query": "query($a: String) { timeLimits { overdueRectifications(first: 5, after: $a) "
                                                    "{ edges { node { creditCode daysOverdue } } } } }", "variables": {"a": after}},
                         headers=login(client, admin)).json()["data"]["timeLimits"]["overdueRectifications"]["edges"]
    assert [e["node"] for e in second] == [{"creditCode": theirs, "daysOverdue": 1}]
    mine = time_limits(client, zhengzhou)["overdueRectifications"]
    assert [e["node"]["creditCode"] for e in mine["edges"]] == [ours]
    assert [e["node"]["creditCode"] for e in time_limits(client, luoyang)["overdueRectifications"]["edges"]] == [theirs]

    clock.advance(days=4)  # 11-30: three whole days after the notice: the county supervisors (respond by 12-05)
    tick(services)
    assert time_limits(client, admin)["overdueEscalations"]["totalCount"] == 0  # within their deadline
    clock.advance(days=6)  # 12-06: nobody answered by 12-05; the scan told the next tier as well
    tick(services)
    late = time_limits(client, admin)["overdueEscalations"]
    ours_late = [e["node"] for e in late["edges"] if e["node"]["creditCode"] == ours]
    assert [(n["level"], n["tier"], n["respondBy"], n["daysOverdue"], n["climbed"]) for n in ours_late] == [
        (1, "county", "2026-12-05", 1, True)]
    assert county in ours_late[0]["supervisors"]
    assert all(e["node"]["creditCode"] != ours for e in time_limits(client, luoyang)["overdueEscalations"]["edges"])

    workbook = client.get("/api/v1/reports/time-limits.xlsx", headers=login(client, admin))
    assert workbook.status_code == 200, workbook.text
    book = openpyxl.load_workbook(BytesIO(workbook.content))
    rectifications, escalations = book["整改逾期"], book["督办超时"]
    assert rectifications["A3"].value == "统一社会信用代码" and "日志位置" in rectifications["A2"].value
    assert rectifications.max_row - 3 == time_limits(client, admin)["overdueRectifications"]["totalCount"]
    assert escalations.max_row - 3 == late["totalCount"]
    scoped = openpyxl.load_workbook(BytesIO(client.get("/api/v1/reports/time-limits.xlsx",
                                                       headers=login(client, luoyang)).content))
    assert [row[0] for row in scoped["整改逾期"].iter_rows(min_row=4, values_only=True)] == [theirs]


def test_time_limits_refuse_regions_outside_the_scope_and_bad_input(
        own_ledger: tuple[TestClient, Services]) -> None:
    client, services = own_ledger
    zhengzhou = add_user(services, "supervisor", region_code="410100")
    tick(services)
    headers = login(client, zhengzhou)
    refused = client.post("/graphql", json={"query": '{ timeLimits(regionCode: "410300") { overdueEscalations { totalCount } } }'},
                          headers=headers).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    unknown = client.post("/graphql", json={"query": '{ timeLimits(regionCode: "999999") { overdueEscalations { totalCount } } }'},
                          headers=headers).json()
    assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_cursor = client.post("/graphql", json={"query": '{ timeLimits { overdueRectifications(after: "x\\u0000") { totalCount } } }'},
                             headers=headers).json()
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert_problem(client.get("/api/v1/reports/time-limits.xlsx", params={"region_code": "410300"}, headers=headers), 403)
    assert_problem(client.get("/api/v1/reports/time-limits.xlsx", params={"region_code": "41\x0000"}, headers=headers), 422)
    assert_problem(client.get("/api/v1/reports/time-limits.xlsx", params={"region_code": "999999"}, headers=headers), 422)
    enterprise = client_token(client, services, register_enterprise(services))[1]
    assert_problem(client.get("/api/v1/reports/time-limits.xlsx", headers=enterprise), 403)


def test_huge_inputs_are_refused_and_the_database_stopped_is_503(private: tuple[str, Services]) -> None:
    url, services = private
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        runner = services.new_projection_runner()
        runner.ensure_current()
        runner.close()
        headers = login(client, add_user(services, "admin"))
        huge = "4" * 100_000
        assert_problem(client.get("/api/v1/reports/time-limits.xlsx", params={"industry": "x" * 60_000}, headers=headers), 422)
        body = client.post("/graphql", json={"query": "query($r: String) { timeLimits(regionCode: $r) { overdueEscalations "
                                                      "{ totalCount } } }", "variables": {"r": huge}},
                           headers=headers)
        assert body.status_code in (200, 400) and body.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assessed = client.post("/graphql", json={"query": '{ assessment(regionCode: "410000", period: "2026-12") '
                                                          '{ region { score } } }'}, headers=headers)
        assert assessed.status_code == 200 and "errors" not in assessed.json()
        query = {"query": "{ timeLimits { overdueRectifications { totalCount } } }"}
        assert client.post("/graphql", json=query, headers=headers).status_code == 200
        with database_down(url):
            down = client.get("/api/v1/reports/time-limits.xlsx", headers=headers)
            assert down.status_code == 503 and down.headers.get("retry-after")
            assert client.post("/graphql", json=query, headers=headers).status_code == 503
        assert client.post("/graphql", json=query, headers=headers).status_code == 200
