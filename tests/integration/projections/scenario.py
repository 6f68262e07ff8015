"""A realistic sequence of commands through the domain services, and what the read models must say
about it, computed independently from the aggregates and their event histories (not by the
projection code)."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from domain.enterprises.aggregate import Enterprise
from domain.enterprises.commands import EnterpriseSpec
from domain.hazards.aggregate import RectificationPlan
from domain.hazards.commands import HazardSpec
from domain.inspections.aggregate import Inspection
from domain.inspections.commands import InspectionSpec
from domain.risks.aggregate import ControlMeasure, Risk
from domain.risks.commands import RiskSpec
from domain.services import LedgerServices
from domain.shared.commands import CommandContext
from domain.shared.credit_code import credit_code_with_check_digit
from domain.shared.meta import Meta
from domain.shared.regions import henan_regions

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CST)  # business times start here
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=CST)  # the ledger clock of every command
SCORES = {"low": 50, "general": 90, "significant": 200, "major": 400}
PLAN = RectificationPlan("消除隐患", "更换阀门", "5 万元", "设备部", "30 日内", "设警戒区")
REPORTS = (Risk.Identified, Risk.Upgraded, Risk.Downgraded, Risk.MeasuresRevised)


def ctx() -> CommandContext:
    request = uuid.uuid4().hex
    return CommandContext(Meta("test", "rest", NOW, request, request))


def credit(n: int, region: str) -> str:
    return credit_code_with_check_digit(f"91{region}{n:09d}")


def risk(code: str, level: str, at: datetime) -> RiskSpec:
    return RiskSpec(code, "液氯储罐区", "二号罐区", ["泄漏"], ["19"], "lec", SCORES[level], level,
                    [ControlMeasure("巡检", "team", "生产部", "李强")], at)


def hazard(code: str, found: datetime, level: str = "general", deadline_days: int = 7) -> HazardSpec:
    return HazardSpec(code, "报警器失效", "2 号报警器无响应", level, "self_inspection", found, "王磊", "deadline",
                      rectification_deadline=found + timedelta(days=deadline_days),
                      rectification_plan=PLAN if level == "major" else None)


@dataclass
class Scenario:
    codes: list[str] = field(default_factory=list)
    risks: list[UUID] = field(default_factory=list)
    hazards: list[UUID] = field(default_factory=list)


def run(services: LedgerServices, enterprises: int = 6) -> Scenario:
    """Register enterprises across regions and industries, then drive risks, hazards and
    inspections through their lifecycles, many commands concurrently (group commit)."""
    regions = ["410102", "410185", "410302", "419001", "410522", "411702"]
    industries = ["hazardous_chemicals", "machinery", "fireworks", "metallurgy", "machinery", "other"]
    s = Scenario()
    for i in range(enterprises):
        code = credit(i + 1, regions[i % len(regions)])
        services.enterprises.register(ctx(), EnterpriseSpec(
            code, f"示范企业{i}", regions[i % len(regions)], industries[i % len(industries)], "county", "张伟",
            "13800138000", T0 - timedelta(days=30 - i)))
        s.codes.append(code)

    def per_enterprise(i: int) -> tuple[list[UUID], list[UUID]]:
        code = s.codes[i]
        risks, hazards = [], []
        if i == 5:
            return risks, hazards  # a late enterprise: nothing reported
        for k, level in enumerate(["low", "general", "significant", "major"][: 2 + i % 3]):
            risks.append(services.risks.identify(ctx(), code, risk(f"R-{k}", level, T0 + timedelta(days=i + k))).aggregate_id)
        services.risks.change_level(ctx(), code, risks[0], "significant", "复评", T0 + timedelta(days=10 + i))
        services.risks.change_level(ctx(), code, risks[1], "low", "降级", T0 + timedelta(days=11))
        services.risks.revise_measures(ctx(), code, risks[1], [ControlMeasure("加装报警", "company", "安全部", "赵敏")], "整改")
        if i % 2 == 0:
            services.risks.invalidate(ctx(), code, risks[-1], "设备拆除")
        for k in range(3):
            services.inspections.record(ctx(), code, InspectionSpec(f"I-{k}", T0 + timedelta(days=7 * k + i), "日常排查", 0, "赵敏"))
        found = T0 + timedelta(days=3 + i)
        h = [services.hazards.register(ctx(), code, hazard(f"H-{k}", found + timedelta(hours=k), level)).aggregate_id
             for k, level in enumerate(["general", "major", "general", "general"])]
        hazards.extend(h)
        done = found + timedelta(days=2)
        services.hazards.report_rectification(ctx(), code, h[0], "清理", done, "王磊", 100.0)
        services.hazards.accept(ctx(), code, h[0], True, "赵敏", done + timedelta(days=1), "合格")
        services.hazards.report_rectification(ctx(), code, h[1], "更换", done, "王磊", None)
        services.hazards.accept(ctx(), code, h[1], False, "赵敏", done + timedelta(days=1), "不到位")
        services.hazards.invalidate(ctx(), code, h[2], "重复登记")
        return risks, hazards  # h[1] back to rectifying, h[3] left open: both overdue by NOW

    with ThreadPoolExecutor(6) as pool:
        for risks, hazards in pool.map(per_enterprise, range(enterprises)):
            s.risks += risks
            s.hazards += hazards
    if enterprises > 4:
        services.enterprises.change_details(ctx(), s.codes[4], {"region_code": "410102", "industry": "metallurgy"})
        services.enterprises.deregister(ctx(), s.codes[3], "注销")
    return s


def expected(services: LedgerServices, s: Scenario) -> dict[str, Any]:
    """The read models' content as the domain sees it."""
    repo = services.ledger.repository
    enterprises: dict[str, dict[str, Any]] = {}
    activity: Counter[tuple[str, date, str]] = Counter()
    for code in s.codes:
        e = repo.get(Enterprise.create_id(code))
        region = henan_regions().get(e.region_code)
        enterprises[str(e.id)] = {
            "credit_code": code, "region_code": e.region_code, "city_code": region.city_code,
            "county_code": region.county_code, "industry": e.industry,
            "status": "deregistered" if e.ended_reason else "active", "registered_at": e.registered_at,
            "risks": Counter(), "hazards_open": Counter(), "first_risk": None, "last_report": None,
            "last_hazard": None, "last_inspection": None,
        }
    for risk_id in s.risks:
        r = repo.get(risk_id)
        row = enterprises[r.enterprise_id]
        if r.status == "valid":
            row["risks"][int(r.level)] += 1
        row["first_risk"] = min(filter(None, [row["first_risk"], r.identified_at]))
        for event in services.ledger.events.get(risk_id):
            if isinstance(event, REPORTS):
                row["last_report"] = max(filter(None, [row["last_report"], event.at]))
                kind = "risks_identified" if isinstance(event, Risk.Identified) else "risks_changed"
                activity[(r.enterprise_id, event.at.astimezone(CST).date(), kind)] += 1
    hazards = {}
    for hazard_id in s.hazards:
        h = repo.get(hazard_id)
        row = enterprises[h.enterprise_id]
        if h.status in ("rectifying", "awaiting_acceptance"):
            row["hazards_open"][h.level] += 1
        row["last_hazard"] = max(filter(None, [row["last_hazard"], h.found_at]))
        activity[(h.enterprise_id, h.found_at.astimezone(CST).date(), "hazards_registered")] += 1
        hazards[str(hazard_id)] = {
            "status": h.status.value, "level": h.level, "deadline": h.rectification_deadline,
            "failed": sum(1 for a in h.acceptances if not a["passed"]), "overdue": (
                h.status in ("rectifying", "awaiting_acceptance") and h.rectification_deadline < NOW),
        }
    inspections = {}
    for code in s.codes:
        enterprise_id = str(Enterprise.create_id(code))
        for k in range(3):
            inspection_id = Inspection.create_id(enterprise_id, f"I-{k}")
            if inspection_id in repo:
                i = repo.get(inspection_id)
                row = enterprises[enterprise_id]
                row["last_inspection"] = max(filter(None, [row["last_inspection"], i.performed_at]))
                activity[(enterprise_id, i.performed_at.astimezone(CST).date(), "inspections_recorded")] += 1
                inspections[str(inspection_id)] = {
                    "enterprise_id": enterprise_id, "inspection_code": i.inspection_code, "scope": i.scope,
                    "hazards_found": i.hazards_found, "inspector": i.inspector, "performed_at": i.performed_at,
                }
    risks = {str(r): {"level": int(repo.get(r).level), "status": repo.get(r).status} for r in s.risks}
    return {"enterprises": enterprises, "risks": risks, "hazards": hazards, "activity": activity,
            "inspections": inspections}
