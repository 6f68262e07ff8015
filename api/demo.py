"""Demo data: a small synthetic Henan province written through the same application services the
API uses (never by writing tables), so a newcomer has something to look at and log in with.

Deterministic for a given seed, and idempotent: re-seeding changes nothing (creates are
idempotent on business codes)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.enterprises.commands import EnterpriseSpec
from domain.hazards.commands import HazardSpec
from domain.identity.commands import UserSpec
from domain.inspections.commands import InspectionSpec
from domain.risks.aggregate import ControlMeasure
from domain.risks.commands import RiskSpec
from domain.services import LedgerServices
from domain.shared.codes import Industry, RiskLevel
from domain.shared.commands import CommandContext
from domain.shared.credit_code import credit_code_with_check_digit
from domain.shared.errors import Conflict
from domain.shared.regions import RegionLevel, henan_regions

DEMO_PASSWORD = "demo-password"
NAMES = ["华源", "中原", "豫丰", "嵩山", "黄河", "伏牛", "太行", "洛神", "汴梁", "宛城"]
SUFFIX = {"hazardous_chemicals": "化工有限公司", "non_coal_mine": "矿业有限公司", "fireworks": "烟花爆竹有限公司",
          "metallurgy": "钢铁有限公司", "building_materials": "建材有限公司", "machinery": "机械制造有限公司"}
# (score, level) pairs that agree with the default LEC bands.
LEC_SCORES = {RiskLevel.LOW: 54, RiskLevel.GENERAL: 90, RiskLevel.SIGNIFICANT: 180, RiskLevel.MAJOR: 400}


@dataclass
class DemoReport:
    enterprises: int = 0
    risks: int = 0
    hazards: int = 0
    inspections: int = 0


def seed_demo(
    services: LedgerServices, context: Callable[[], CommandContext], hash_password: Callable[[str], str],
    now: datetime, enterprises: int = 30, seed: int = 7,
) -> DemoReport:
    counties = [r for r in henan_regions().all() if r.level is RegionLevel.COUNTY and not r.retired and not r.nbs_only]
    industries = list(SUFFIX)
    report = DemoReport()
    codes = []
    for i in range(enterprises):
        rng = random.Random(f"{seed}-{i}")  # per enterprise, so a skipped one does not shift the rest
        county = rng.choice(counties)
        industry = rng.choice(industries)
        code = credit_code_with_check_digit(f"9141{county.code[2:6]}MA{seed:02d}{i:05d}")
        registered = now - timedelta(days=rng.randint(30, 400))
        name = f"{county.name}{rng.choice(NAMES)}{SUFFIX[industry]}"
        mobile = f"138{rng.randint(0, 10**8 - 1):08d}"
        late = rng.random() < 0.15
        codes.append((code, registered))
        try:
            receipt = services.enterprises.register(
                context(), EnterpriseSpec(code, name, county.code, industry, "county", "张伟", mobile, registered)
            )
        except Conflict:
            continue  # seeded on an earlier day: keep what is there
        if receipt.position is None:
            continue  # seeded already
        report.enterprises += 1
        if late:
            continue  # some enterprises are late: no risks, hazards or inspections yet
        report.risks += _risks(services, context, code, registered, rng)
        report.hazards += _hazards(services, context, code, registered, now, rng)
        for k in range(rng.randint(1, 4)):
            performed = registered + timedelta(days=rng.randint(1, 25))
            services.inspections.record(context(), code, InspectionSpec(f"I-{k:03d}", performed, "日常排查", rng.randint(0, 2), "赵敏"))
            report.inspections += 1
    _users(services, context, hash_password, codes[0][0])
    return report


def _risks(services: LedgerServices, context: Callable[[], CommandContext], code: str, at: datetime, rng: random.Random) -> int:
    count = rng.randint(2, 6)
    for k in range(count):
        level = rng.choices(list(RiskLevel), weights=[45, 35, 15, 5])[0]
        services.risks.identify(context(), code, RiskSpec(
            f"R-{k:03d}", f"风险点{k + 1}", f"{k + 1}号车间", ["设备老化"], ["03"], "lec", LEC_SCORES[level],
            level.code, [ControlMeasure("定期巡检并记录", "workshop", "生产部", "李强")], at + timedelta(days=rng.randint(1, 20)),
        ))
    return count


def _hazards(services: LedgerServices, context: Callable[[], CommandContext], code: str, registered: datetime,
             now: datetime, rng: random.Random) -> int:
    count = rng.randint(0, 3)
    for k in range(count):
        found = registered + timedelta(days=rng.randint(5, 25))
        receipt = services.hazards.register(context(), code, HazardSpec(
            f"H-{k:03d}", "消防通道堵塞", "仓库消防通道堆放杂物", "general", "self_inspection", found, "王磊", "deadline",
            rectification_deadline=found + timedelta(days=7),
        ))
        if receipt.position is None or rng.random() < 0.3:
            continue  # left open (or already seeded)
        done = found + timedelta(days=rng.randint(1, 6))
        services.hazards.report_rectification(context(), code, receipt.aggregate_id, "清理杂物并设置标识", done, "王磊", 200.0)
        services.hazards.accept(context(), code, receipt.aggregate_id, True, "赵敏", done + timedelta(days=1), "整改合格")
    return count


def _users(services: LedgerServices, context: Callable[[], CommandContext], hash_password: Callable[[str], str], code: str) -> None:
    password_hash = hash_password(DEMO_PASSWORD)
    for spec in (
        UserSpec("demo-admin", "admin"),
        UserSpec("demo-auditor", "auditor"),
        UserSpec("demo-supervisor", "supervisor", region_code="410100"),
        UserSpec("demo-enterprise", "enterprise", credit_code=code),
    ):
        try:
            services.users.add(context(), spec, password_hash)
        except Conflict:
            pass  # the demo user exists with another scope: leave it


def demo_request_id() -> str:
    return uuid.uuid4().hex


__all__ = ["DEMO_PASSWORD", "DemoReport", "Industry", "seed_demo"]
