"""Drill-down totals on a small dataset worked out by hand (SQLite and PostgreSQL).

Period: March 2026 (Asia/Shanghai dates). Seven enterprises:
  A 410102 machinery            risk identified 03-05, inspection (no hazard) 03-10 -> risk Y, hazard Y
  B 410185 hazardous_chemicals  risk identified 02-10, upgraded 03-20, hazard 04-02 -> risk Y, hazard N
  C 410302 machinery            risk identified 02-20, inspection 03-01 07:00+08 (UTC 02-28) -> N, Y
  D 419001 fireworks            registered 03-15, hazard 04-01 00:30+08 (UTC 03-31) -> N, N
  E 410102 machinery            registered 04-05: after the period, not counted
  F 410185 machinery            deregistered 05-01 (after the period): counted -> N, N
  G 410302 metallurgy           deregistered 03-10: not counted
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from domain.enterprises.commands import EnterpriseSpec
from domain.inspections.commands import InspectionSpec
from domain.ledger import Ledger
from domain.services import LedgerServices
from domain.shared.commands import CommandContext
from domain.shared.meta import Meta
from projections.analytics.queries import Analytics
from projections.runner import ProjectionRunner
from tests.integration.projections.scenario import credit, ctx, hazard, risk

CST = timezone(timedelta(hours=8))
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=CST)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CST)


def ctx_at(recorded_at: datetime) -> CommandContext:
    request = uuid.uuid4().hex
    return CommandContext(Meta("test", "admin", recorded_at, request, request))


def totals(n: int, risk_yes: int, hazard_yes: int) -> dict[str, int]:
    return {"enterprises": n, "risk_identified": risk_yes, "risk_not_identified": n - risk_yes,
            "hazard_registered": hazard_yes, "hazard_not_registered": n - hazard_yes}


@pytest.fixture
def analytics(ledger: Ledger, services: LedgerServices) -> tuple[Analytics, dict[str, str]]:
    codes = {}
    specs = {
        "A": ("410102", "machinery", at(1, 10)), "B": ("410185", "hazardous_chemicals", at(2, 1)),
        "C": ("410302", "machinery", at(2, 15)), "D": ("419001", "fireworks", at(3, 15)),
        "E": ("410102", "machinery", at(4, 5)), "F": ("410185", "machinery", at(1, 1)),
        "G": ("410302", "metallurgy", at(1, 5)),
    }
    for i, (label, (region, industry, registered)) in enumerate(specs.items()):
        codes[label] = credit(500 + i, region)
        services.enterprises.register(ctx(), EnterpriseSpec(
            codes[label], f"企业{label}", region, industry, "county", "张伟", "13800138000", registered))
    services.risks.identify(ctx(), codes["A"], risk("R-1", "general", at(3, 5)))
    services.inspections.record(ctx(), codes["A"], InspectionSpec("I-1", at(3, 10), "日常排查", 0, "赵敏"))
    b_risk = services.risks.identify(ctx(), codes["B"], risk("R-1", "low", at(2, 10))).aggregate_id
    services.risks.change_level(ctx(), codes["B"], b_risk, "major", "升级", at(3, 20))
    services.hazards.register(ctx(), codes["B"], hazard("H-1", at(4, 2)))
    services.risks.identify(ctx(), codes["C"], risk("R-1", "low", at(2, 20)))
    services.inspections.record(ctx(), codes["C"], InspectionSpec("I-1", at(3, 1, 7), "日常排查", 0, "赵敏"))
    services.hazards.register(ctx(), codes["D"], hazard("H-1", at(4, 1, 0, 30)))
    services.enterprises.deregister(ctx_at(NOW), codes["F"], "注销")
    services.enterprises.deregister(ctx_at(at(3, 10)), codes["G"], "注销")
    runner = ProjectionRunner(ledger)
    runner.catch_up()
    yield Analytics(runner.engine), codes
    runner.close()


def test_province_totals_by_industry_and_children(analytics: tuple[Analytics, dict[str, str]], ledger: Ledger) -> None:
    queries, _ = analytics
    result = queries.drilldown("410000", None, *MARCH, NOW)
    assert result["as_of_position"] == ledger.recorder.max_notification_id()
    assert result["region"] == {"code": "410000", "name": "河南省", "level": "province"}
    assert result["totals"] == totals(5, 2, 2)
    assert {i["industry"]: i["totals"] for i in result["by_industry"]} == {
        "machinery": totals(3, 1, 2), "hazardous_chemicals": totals(1, 1, 0), "fireworks": totals(1, 0, 0)}
    children = {c["region"]["code"]: c["totals"] for c in result["children"]}
    assert children["410100"] == totals(3, 2, 1)
    assert children["410300"] == totals(1, 0, 1)
    assert children["419001"] == totals(1, 0, 0)  # a county-level city directly under the province
    assert children["410200"] == totals(0, 0, 0)  # every child region is listed
    assert sum(c["enterprises"] for c in children.values()) == 5


def test_city_and_county_levels_with_industry(analytics: tuple[Analytics, dict[str, str]]) -> None:
    queries, codes = analytics
    city = queries.drilldown("410100", None, *MARCH, NOW)
    assert city["totals"] == totals(3, 2, 1)
    children = {c["region"]["code"]: c["totals"] for c in city["children"]}
    assert children["410102"] == totals(1, 1, 1)
    assert children["410185"] == totals(2, 1, 0)
    county = queries.drilldown("410185", "machinery", *MARCH, NOW)
    assert county["totals"] == totals(1, 0, 0)
    assert county["children"] == []
    assert [e["credit_code"] for e in county["enterprises"]["items"]] == [codes["F"]]
    assert county["enterprises"]["items"][0]["status"] == "deregistered"


def test_enterprise_pages_status_and_filters(analytics: tuple[Analytics, dict[str, str]]) -> None:
    queries, codes = analytics
    seen, after = [], None
    while True:
        page = queries.drilldown("410000", None, *MARCH, NOW, first=2, after=after)["enterprises"]
        seen += page["items"]
        if not page["has_next"]:
            break
        after = page["end_cursor"]
    assert [e["credit_code"] for e in seen] == sorted(codes[k] for k in "ABCDF")
    by_code = {e["credit_code"]: e for e in seen}
    b = by_code[codes["B"]]
    assert (b["risk_identified"], b["hazard_registered"], b["risks_major"], b["hazards_open_general"]) == (True, False, 1, 1)
    assert b["overdue_rectifications"] == 1  # its hazard's deadline (04-09) is before NOW
    assert by_code[codes["C"]]["hazard_registered"] is True  # Shanghai date 03-01, UTC date 02-28
    lagging = queries.drilldown("410000", None, *MARCH, NOW, status="hazard_not_registered")["enterprises"]
    assert {e["credit_code"] for e in lagging["items"]} == {codes["B"], codes["D"], codes["F"]}
    february = queries.drilldown("410000", None, date(2026, 2, 1), date(2026, 2, 28), NOW)
    assert february["totals"] == totals(5, 2, 0)  # A, B, C, F, G registered by 02-28; B and C identified
