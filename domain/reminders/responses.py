"""Supervisors answer reminders (处理措施和结果): who may, and what an answer holds.

May answer: a supervisor the reminder was escalated to, or one whose scope covers the enterprise
(region and industries) from the enterprise's own tier or a higher one (county < city < province).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.reminders.evaluation import TIERS
from domain.shared.errors import InvalidValue
from domain.shared.validation import Checks, require_text

MEASURES = {
    "phone_call": "电话督促",
    "on_site_inspection": "现场检查",
    "written_order": "下达整改指令书",
    "interview": "约谈",
    "enforcement": "立案处罚",
    "enforcement_plan": "列入执法计划",
    "other": "其他",
}
MAX_ATTACHMENTS = 10


@dataclass(frozen=True)
class ResponseSpec:
    measures: tuple[str, ...]
    result: str
    happened_at: datetime
    attachments: tuple[str, ...] = ()

    def validated(self, now: datetime) -> ResponseSpec:
        checks = Checks()
        if not self.measures:
            checks.fail("measures", "name at least one measure taken")
        for i, measure in enumerate(self.measures):
            if measure not in MEASURES:
                checks.fail(f"measures.{i}", f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}")
        result = checks.run(require_text, self.result, "result", 2000, multiline=True)
        if self.happened_at.tzinfo is None:
            checks.fail("happened_at", "must carry a time zone offset")
        elif self.happened_at > now:
            checks.fail("happened_at", "lies in the future")
        if len(self.attachments) > MAX_ATTACHMENTS:
            checks.fail("attachments", f"at most {MAX_ATTACHMENTS} references")
        attachments = tuple(checks.run(require_text, a, f"attachments.{i}", 500) or "" for i, a in enumerate(self.attachments))
        checks.done()
        return ResponseSpec(tuple(dict.fromkeys(self.measures)), result or "", self.happened_at, attachments)


def tier_of(region_code: str) -> str:
    if region_code.endswith("0000"):
        return "province"
    return "city" if region_code.endswith("00") else "county"


def may_answer(username: str, region_code: str | None, industries: tuple[str, ...], escalated_to: bool,
               enterprise_region: str, enterprise_industry: str, enterprise_level: str) -> bool:
    if escalated_to:
        return True
    if not region_code:
        return False
    tier = tier_of(region_code)
    prefix = {"province": region_code[:2], "city": region_code[:4]}.get(tier, region_code)
    if not enterprise_region.startswith(prefix) or (industries and enterprise_industry not in industries):
        return False
    own = enterprise_level if enterprise_level in TIERS else "county"
    return TIERS.index(tier) >= TIERS.index(own)


def measure_label(code: str) -> str:
    try:
        return MEASURES[code]
    except KeyError:
        raise InvalidValue("measures", f"unknown measure {code!r}") from None
