"""GraphQL over HTTP against real read models (SQLite and PostgreSQL): the drill-down's figures,
the connections, authorization by scope, limits and errors.

One small province per backend, in a database of its own (drill-down totals count everything in
a region, so a shared database would make them depend on other tests):

| enterprise | region            | industry            | registered  | in 2026-11-01..20                        |
|------------|-------------------|---------------------|-------------|------------------------------------------|
| ZZ1        | 410185 登封 (郑州) | hazardous_chemicals | 2026-10-01  | risk identified 11-05, inspection 11-10 (no hazard found) |
| ZZ2        | 410102 中原 (郑州) | metallurgy          | 2026-10-01  | nothing (late)                           |
| ZZ3        | 410185 登封 (郑州) | metallurgy          | 2026-11-21  | not registered by the end of the period  |
| LY1        | 410302 老城 (洛阳) | hazardous_chemicals | 2026-10-01  | risk 11-06, hazard 11-07 (deadline 11-15: overdue now) |
| LY2        | 410302 老城 (洛阳) | metallurgy          | 2026-10-01  | inspection 11-08                         |
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from api.app import create_app
from api.bootstrap import Services, bootstrap
from api.settings import Settings
from domain.enterprises.commands import EnterpriseSpec
from domain.hazards.commands import HazardSpec
from domain.inspections.commands import InspectionSpec
from domain.risks.aggregate import ControlMeasure
from domain.risks.commands import RiskSpec
from domain.shared.credit_code import credit_code_with_check_digit
from projections.runner import ProjectionRunner
from tests.conftest import add_user, cli_context, login
from tests.e2e.helpers import assert_problem, client_token
from tests.support.clock import FakeClock
from tests.support.postgres import fresh_database

CST_8 = "+08:00"
PERIOD = {"from": "2026-11-01", "to": "2026-11-20"}
DRILL = """query D($region: String!, $from: Date!, $to: Date!, $industry: String, $first: Int, $after: String,
                   $filter: EnterpriseStatusFilter) {
  drilldown(regionCode: $region, from: $from, to: $to, industry: $industry) {
    asOfPosition
    region { code name level }
    totals { enterprises riskIdentified riskNotIdentified hazardRegistered hazardNotRegistered }
    byIndustry { industry industryLabel totals { enterprises riskIdentified hazardRegistered } }
    children { region { code name level } totals { enterprises riskIdentified hazardRegistered } }
    enterprises(first: $first, after: $after, filter: $filter) {
      edges { cursor node { creditCode name riskIdentified hazardRegistered overdueRectifications } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T10:00:00{CST_8}")


def code(region: str, n: int) -> str:
    return credit_code_with_check_digit(f"9141{region[2:]}MA{uuid.uuid4().int % 10**6:06d}{n % 10}")


@dataclass
class World:
    services: Services
    client: TestClient
    codes: dict[str, str]
    admin: dict[str, str]
    zz_supervisor: dict[str, str]
    ly_chem_supervisor: dict[str, str]
    zz1_user: dict[str, str]
    head: int

    def gql(self, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
        body = self.gql(query, headers, **variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def error_code(self, query: str, headers: dict[str, str], **variables: Any) -> str:
        body = self.gql(query, headers, **variables)
        assert body.get("errors"), body
        return body["errors"][0]["extensions"]["code"]


def seed(services: Services) -> dict[str, str]:
    ctx = lambda: cli_context(services)  # noqa: E731
    enterprises = {
        "ZZ1": ("410185", "hazardous_chemicals", "2026-10-01"), "ZZ2": ("410102", "metallurgy", "2026-10-01"),
        "ZZ3": ("410185", "metallurgy", "2026-11-21"), "LY1": ("410302", "hazardous_chemicals", "2026-10-01"),
        "LY2": ("410302", "metallurgy", "2026-10-01"),
    }
    codes = {}
    for n, (key, (region, industry, registered)) in enumerate(enterprises.items()):
        codes[key] = code(region, n)
        services.write.enterprises.register(ctx(), EnterpriseSpec(
            codes[key], f"{key}示范有限公司", region, industry, "county", "张伟", "13800138000", at(registered)))
    measure = [ControlMeasure("定期巡检并记录", "workshop", "生产部", "李强")]
    for key, day in (("ZZ1", "2026-11-05"), ("LY1", "2026-11-06")):
        services.write.risks.identify(ctx(), codes[key], RiskSpec(
            "R-001", "液氯储罐区", "二号罐区", ["压力容器超压"], ["17"], "lec", 180, "significant", measure, at(day)))
    services.write.inspections.record(ctx(), codes["ZZ1"], InspectionSpec("I-001", at("2026-11-10"), "日常排查", 0, "赵敏"))
    services.write.inspections.record(ctx(), codes["LY2"], InspectionSpec("I-001", at("2026-11-08"), "日常排查", 0, "赵敏"))
    services.write.hazards.register(ctx(), codes["LY1"], HazardSpec(
        "H-001", "消防通道堵塞", "仓库消防通道堆放杂物", "general", "self_inspection", at("2026-11-07"), "王磊", "deadline",
        rectification_deadline=at("2026-11-15")))
    return codes


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))

    def build(url: str) -> Iterator[World]:
        settings = Settings(database_url=url, jwt_secret="graphql-" + uuid.uuid4().hex, projections="off",
                            subscription_check_seconds=0)
        services = bootstrap(settings, clock=clock)
        with TestClient(create_app(services)) as client:
            codes = seed(services)
            runner = ProjectionRunner(services.ledger)
            runner.catch_up()
            runner.close()
            head = services.events.head()  # users added below are not in the read models
            yield World(
                services, client, codes,
                admin=login(client, add_user(services, "admin")),
                zz_supervisor=login(client, add_user(services, "supervisor", region_code="410100")),
                ly_chem_supervisor=login(client, add_user(services, "supervisor", region_code="410300",
                                                          industries=("hazardous_chemicals",))),
                zz1_user=login(client, add_user(services, "enterprise", credit_code=codes["ZZ1"])),
                head=head,
            )
        services.close()

    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("graphql")
        yield from build(f"sqlite:///{path / 'ledger.db'}")
    else:
        with fresh_database() as url:
            yield from build(url)


def drill(world: World, headers: dict[str, str], region: str, **extra: Any) -> dict[str, Any]:
    return world.data(DRILL, headers, region=region, **PERIOD, **extra)["drilldown"]


# --- the drill-down's figures ----------------------------------------------------------------------


def test_province_drilldown_counts_the_period_and_drills_into_cities(world: World) -> None:
    d = drill(world, world.admin, "410000")
    assert d["region"] == {"code": "410000", "name": "河南省", "level": "province"}
    assert d["asOfPosition"] > 0
    # ZZ3 registered after the period; an inspection with no hazard found counts as registering.
    assert d["totals"] == {"enterprises": 4, "riskIdentified": 2, "riskNotIdentified": 2,
                           "hazardRegistered": 3, "hazardNotRegistered": 1}
    cities = {c["region"]["code"]: c["totals"] for c in d["children"]}
    assert cities["410100"] == {"enterprises": 2, "riskIdentified": 1, "hazardRegistered": 1}
    assert cities["410300"] == {"enterprises": 2, "riskIdentified": 1, "hazardRegistered": 2}
    assert cities["411700"] == {"enterprises": 0, "riskIdentified": 0, "hazardRegistered": 0}  # every city listed
    industries = {i["industry"]: i for i in d["byIndustry"]}
    assert industries["hazardous_chemicals"]["industryLabel"] == "危险化学品"
    assert industries["hazardous_chemicals"]["totals"] == {"enterprises": 2, "riskIdentified": 2, "hazardRegistered": 2}
    assert industries["metallurgy"]["totals"] == {"enterprises": 2, "riskIdentified": 0, "hazardRegistered": 1}


def test_drilldown_goes_down_to_counties_and_their_enterprises(world: World) -> None:
    city = drill(world, world.admin, "410100")
    counties = {c["region"]["code"]: c["totals"]["enterprises"] for c in city["children"]}
    assert counties["410185"] == 1 and counties["410102"] == 1
    county = drill(world, world.admin, "410185", first=10)
    assert county["region"]["level"] == "county" and county["children"] == []
    [edge] = county["enterprises"]["edges"]
    assert edge["node"] == {"creditCode": world.codes["ZZ1"], "name": "ZZ1示范有限公司", "riskIdentified": True,
                            "hazardRegistered": True, "overdueRectifications": 0}
    later = world.data(DRILL, world.admin, region="410185", **{"from": "2026-11-01", "to": "2026-11-22"})
    assert later["drilldown"]["totals"]["enterprises"] == 2  # ZZ3 is registered by then


def test_drilldown_by_industry_and_enterprise_status_filter(world: World) -> None:
    d = drill(world, world.admin, "410000", industry="metallurgy")
    assert d["totals"]["enterprises"] == 2
    late = drill(world, world.admin, "410000", filter="HAZARD_NOT_REGISTERED", first=10)
    assert [e["node"]["creditCode"] for e in late["enterprises"]["edges"]] == [world.codes["ZZ2"]]
    overdue = drill(world, world.admin, "410302", first=10)["enterprises"]["edges"]
    assert {e["node"]["creditCode"]: e["node"]["overdueRectifications"] for e in overdue} == {
        world.codes["LY1"]: 1, world.codes["LY2"]: 0}


def test_enterprises_page_through_with_cursors(world: World) -> None:
    seen, after = [], None
    for _ in range(5):
        page = drill(world, world.admin, "410000", first=1, after=after)["enterprises"]
        seen += [e["node"]["creditCode"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(world.codes[k] for k in ("ZZ1", "ZZ2", "LY1", "LY2"))


def test_every_report_carries_the_position_it_reflects(world: World) -> None:
    assert drill(world, world.admin, "410000")["asOfPosition"] == world.head
    data = world.data("{ risks { asOfPosition } hazards { asOfPosition } }", world.admin)
    assert data["risks"]["asOfPosition"] == data["hazards"]["asOfPosition"] == world.head
    detail = world.data('query E($c: String!) { enterprise(creditCode: $c) { asOfPosition } }', world.admin,
                        c=world.codes["LY1"])
    assert detail["enterprise"]["asOfPosition"] == world.head


# --- enterprise detail and connections ---------------------------------------------------------------

DETAIL = """query E($c: String!) { enterprise(creditCode: $c) {
  creditCode name regionCode cityCode industry industryLabel supervisionLevelLabel overdueRectifications
  validRisks { low general significant major } openGeneralHazards lastInspectionAt
  risks { riskCode level levelLabel status controlMeasures { description } enterprise { creditCode } }
  hazards { hazardCode status statusLabel overdue rectificationDeadline enterprise { creditCode } }
  inspections { inspectionCode hazardsFound performedAt }
} }"""


def test_enterprise_detail_with_its_risks_hazards_and_inspections(world: World) -> None:
    ly1 = world.data(DETAIL, world.admin, c=world.codes["LY1"])["enterprise"]
    assert ly1["cityCode"] == "410300" and ly1["industryLabel"] == "危险化学品"
    assert ly1["validRisks"] == {"low": 0, "general": 0, "significant": 1, "major": 0}
    assert ly1["risks"] == [{"riskCode": "R-001", "level": 3, "levelLabel": "较大风险", "status": "valid",
                             "controlMeasures": [{"description": "定期巡检并记录"}],
                             "enterprise": {"creditCode": world.codes["LY1"]}}]
    [hazard] = ly1["hazards"]
    assert hazard["statusLabel"] == "整改中" and hazard["overdue"] is True
    assert ly1["overdueRectifications"] == 1 and ly1["openGeneralHazards"] == 1
    zz1 = world.data(DETAIL, world.admin, c=world.codes["ZZ1"])["enterprise"]
    assert zz1["inspections"] == [{"inspectionCode": "I-001", "hazardsFound": 0, "performedAt": "2026-11-10T02:00:00+00:00"}]
    assert world.data(DETAIL, world.admin, c="91410185MA00000000")["enterprise"] is None


def test_risk_and_hazard_connections_filter_and_page(world: World) -> None:
    query = """query R($f: RiskFilter, $after: String) { risks(first: 1, filter: $f, after: $after) {
        edges { node { riskCode enterprise { creditCode } } } pageInfo { hasNextPage endCursor } } }"""
    first = world.data(query, world.admin, f={"level": 3})["risks"]
    assert first["pageInfo"]["hasNextPage"] is True
    second = world.data(query, world.admin, f={"level": 3}, after=first["pageInfo"]["endCursor"])["risks"]
    owners = {first["edges"][0]["node"]["enterprise"]["creditCode"], second["edges"][0]["node"]["enterprise"]["creditCode"]}
    assert owners == {world.codes["ZZ1"], world.codes["LY1"]}
    assert second["pageInfo"]["hasNextPage"] is False
    only_luoyang = world.data(query, world.admin, f={"regionCode": "410300"})["risks"]["edges"]
    assert [e["node"]["enterprise"]["creditCode"] for e in only_luoyang] == [world.codes["LY1"]]
    overdue = world.data('{ hazards(filter: {overdue: true}) { edges { node { hazardCode overdue } } } }', world.admin)
    assert overdue["hazards"]["edges"] == [{"node": {"hazardCode": "H-001", "overdue": True}}]


PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"


def test_page_info_has_the_relay_fields_for_forward_pagination(world: World) -> None:
    query = f"""query R($f: RiskFilter, $after: String) {{ risks(first: 1, filter: $f, after: $after) {{
        edges {{ cursor }} {PAGE_INFO} }} }}"""
    first = world.data(query, world.admin, f={"level": 3})["risks"]
    assert first["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False,
                                 "startCursor": first["edges"][0]["cursor"], "endCursor": first["edges"][0]["cursor"]}
    second = world.data(query, world.admin, f={"level": 3}, after=first["pageInfo"]["endCursor"])["risks"]
    assert second["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True,
                                  "startCursor": second["edges"][0]["cursor"], "endCursor": second["edges"][0]["cursor"]}
    beyond = world.data(query, world.admin, f={"level": 3}, after=second["pageInfo"]["endCursor"])["risks"]
    assert beyond == {"edges": [], "pageInfo": {"hasNextPage": False, "hasPreviousPage": True,
                                                "startCursor": None, "endCursor": None}}
    # A cursor before every item: `after` was given, but nothing precedes the page.
    before_all = base64.urlsafe_b64encode(b"risk:0").decode()
    again = world.data(query, world.admin, f={"level": 3}, after=before_all)["risks"]
    assert again["pageInfo"]["hasPreviousPage"] is False and again["edges"] == first["edges"]
    # Another filter's cursor: nothing of this filter precedes it.
    luoyang = world.data(query, world.admin, f={"regionCode": "410300"}, after=before_all)["risks"]
    assert luoyang["pageInfo"]["hasPreviousPage"] is False


def test_every_connection_has_start_cursor_and_has_previous_page(world: World) -> None:
    hazards = world.data(f"{{ hazards(first: 1) {{ edges {{ cursor }} {PAGE_INFO} }} }}", world.admin)["hazards"]
    assert hazards["pageInfo"]["startCursor"] == hazards["edges"][0]["cursor"]
    assert hazards["pageInfo"]["hasPreviousPage"] is False
    after = world.data(f'{{ hazards(first: 1, after: "{hazards["pageInfo"]["endCursor"]}") {{ {PAGE_INFO} }} }}',
                       world.admin)["hazards"]
    assert after["pageInfo"]["hasPreviousPage"] is True and after["pageInfo"]["startCursor"] is None
    pages, cursor = [], None
    for _ in range(5):
        page = world.data(f"""query D($after: String) {{ drilldown(regionCode: "410000", from: "2026-11-01",
            to: "2026-11-20") {{ enterprises(first: 2, after: $after) {{ edges {{ cursor }} {PAGE_INFO} }} }} }}""",
                          world.admin, after=cursor)["drilldown"]["enterprises"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True]
    assert all(p["pageInfo"]["startCursor"] == p["edges"][0]["cursor"] for p in pages)
    assert all(p["pageInfo"]["endCursor"] == p["edges"][-1]["cursor"] for p in pages)


# --- authorization -----------------------------------------------------------------------------------

EVERY_PATH = """query Every($ly: String!) {
  enterprise(creditCode: $ly) { creditCode }
  risks(first: 100) { edges { node { enterprise { creditCode } } } }
  hazards(first: 100) { edges { node { enterprise { creditCode } } } }
  byCode: risks(filter: {creditCode: $ly}) { edges { node { riskCode } } }
  hazardsByCode: hazards(filter: {creditCode: $ly}) { edges { node { hazardCode } } }
}"""


def test_a_zhengzhou_supervisor_cannot_reach_a_luoyang_enterprise_through_any_field(world: World) -> None:
    ly = world.codes["LY1"]
    data = world.data(EVERY_PATH, world.zz_supervisor, ly=ly)
    assert data["enterprise"] is None
    reached = {e["node"]["enterprise"]["creditCode"] for e in data["risks"]["edges"] + data["hazards"]["edges"]}
    assert reached == {world.codes["ZZ1"]}
    assert data["byCode"]["edges"] == [] and data["hazardsByCode"]["edges"] == []
    for region in ("410300", "410302", "410000"):  # Luoyang, its county, and the province above both
        assert world.error_code(DRILL, world.zz_supervisor, region=region, **PERIOD) == "FORBIDDEN"
    assert world.error_code('{ risks(filter: {regionCode: "410300"}) { edges { cursor } } }', world.zz_supervisor) == "FORBIDDEN"
    own = drill(world, world.zz_supervisor, "410100", first=50)
    listed = {e["node"]["creditCode"] for e in own["enterprises"]["edges"]}
    assert listed == {world.codes["ZZ1"], world.codes["ZZ2"]}
    assert own["totals"]["enterprises"] == 2


def test_an_industry_scoped_supervisor_sees_only_that_industry(world: World) -> None:
    d = drill(world, world.ly_chem_supervisor, "410300", first=50)
    assert d["totals"]["enterprises"] == 1  # LY2 (metallurgy) is not theirs
    assert [e["node"]["creditCode"] for e in d["enterprises"]["edges"]] == [world.codes["LY1"]]
    assert [i["industry"] for i in d["byIndustry"]] == ["hazardous_chemicals"]
    assert world.error_code(DRILL, world.ly_chem_supervisor, region="410300", industry="metallurgy", **PERIOD) == "FORBIDDEN"
    assert world.data(DETAIL, world.ly_chem_supervisor, c=world.codes["LY2"])["enterprise"] is None


def test_an_enterprise_user_sees_only_itself_and_no_drilldown(world: World) -> None:
    assert world.data(DETAIL, world.zz1_user, c=world.codes["ZZ1"])["enterprise"]["creditCode"] == world.codes["ZZ1"]
    assert world.data(DETAIL, world.zz1_user, c=world.codes["ZZ2"])["enterprise"] is None
    data = world.data(EVERY_PATH, world.zz1_user, ly=world.codes["LY1"])
    reached = {e["node"]["enterprise"]["creditCode"] for e in data["risks"]["edges"] + data["hazards"]["edges"]}
    assert reached == {world.codes["ZZ1"]}
    assert world.error_code(DRILL, world.zz1_user, region="410185", **PERIOD) == "FORBIDDEN"


def test_anonymous_callers_and_client_tokens_get_problem_responses(world: World) -> None:
    assert_problem(world.client.post("/graphql", json={"query": "{ risks { edges { cursor } } }"}), 401)
    _, system = client_token(world.client, world.services, world.codes["ZZ1"])
    assert_problem(world.client.post("/graphql", json={"query": "{ risks { edges { cursor } } }"}, headers=system), 403)


# --- limits and errors -----------------------------------------------------------------------------


def test_bad_arguments_are_reported_per_field(world: World) -> None:
    assert world.error_code(DRILL, world.admin, region="999999", **PERIOD) == "BAD_USER_INPUT"
    assert world.error_code(DRILL, world.admin, region="410000", **{"from": "2026-11-20", "to": "2026-11-01"}) == "BAD_USER_INPUT"
    assert world.error_code(DRILL, world.admin, region="410000", after="not-a-cursor", **PERIOD) == "BAD_USER_INPUT"
    assert world.error_code(DRILL, world.admin, region="410000", first=0, **PERIOD) == "BAD_USER_INPUT"
    risk_cursor = world.data("{ risks(first: 1) { pageInfo { endCursor } } }", world.admin)["risks"]["pageInfo"]["endCursor"]
    assert world.error_code(DRILL, world.admin, region="410000", after=risk_cursor, **PERIOD) == "BAD_USER_INPUT"


def test_deep_and_expensive_queries_are_refused_before_they_run(world: World) -> None:
    deep = ("{ risks(first: 1) { edges { node { enterprise { risks(first: 1) { enterprise { risks(first: 1) {"
            " enterprise { risks(first: 1) { riskCode } } } } } } } } } }")
    body = world.gql(deep, world.admin)
    assert body["errors"] and "exceeds maximum operation depth" in body["errors"][0]["message"]
    wide = """{ a: risks(first: 500) { edges { node { enterprise { hazards(first: 500) { hazardCode name } } } } } }"""
    body = world.gql(wide, world.admin)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert body["errors"][0]["extensions"]["cost"] > body["errors"][0]["extensions"]["limit"]


def test_a_page_of_enterprises_costs_a_bounded_number_of_statements(world: World) -> None:
    nested = """query P($first: Int) { drilldown(regionCode: "410000", from: "2026-11-01", to: "2026-11-20") {
        enterprises(first: $first) { edges { node { enterprise {
            risks { riskCode } hazards { hazardCode } inspections { inspectionCode } } } } } } }"""
    engine = world.services.engine
    counted: list[str] = []

    def count(*args: Any) -> None:
        counted.append(args[2])

    world.data(nested, world.admin, first=1)  # warm: nothing lazily created is counted
    event.listen(engine, "before_cursor_execute", count)
    try:
        sizes = {}
        for first in (1, 4):
            counted.clear()
            data = world.data(nested, world.admin, first=first)
            assert len(data["drilldown"]["enterprises"]["edges"]) == first
            sizes[first] = len(counted)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # Resolved one enterprise at a time, 3 more enterprises would cost 9 more statements (3 lists
    # each); batched they cost none. Up to 2 more are tolerated: a DataLoader batch can be split
    # when sibling resolvers reach it an event-loop turn apart (seen once under a loaded CI run).
    assert sizes[4] - sizes[1] <= 2, sizes


def test_graphiql_is_served_only_when_enabled(world: World, tmp_path: Path) -> None:
    page = world.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code != 200 or "graphiql" not in page.text.lower()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ide.db'}", graphiql=True, projections="off")
    services = bootstrap(settings)
    with TestClient(create_app(services)) as client:
        page = client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_before_the_read_models_exist_the_error_says_so(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", projections="off", jwt_secret="x" * 32)
    services = bootstrap(settings)
    with TestClient(create_app(services)) as client:
        headers = login(client, add_user(services, "admin"))
        body = client.post("/graphql", json={"query": "{ risks { edges { cursor } } }"}, headers=headers).json()
        assert body["errors"][0]["extensions"]["code"] == "READ_MODEL_NOT_READY"
