"""The registers' fold on plain dicts: the domain's own events (built with the domain classes) in,
rows out. No database."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

from domain.enterprises.aggregate import Enterprise
from domain.hazards.aggregate import Hazard
from domain.inspections.aggregate import Inspection
from domain.risks.aggregate import Risk
from domain.shared.codes import RiskLevel
from domain.shared.meta import Meta
from projections.register.fold import RegisterFold, RegisterState, region_parts

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=CST)
META = Meta("t", "rest", T0 + timedelta(days=90), "r", "c")
MEASURE = {"description": "巡检", "control_level": "team", "department": "生产部", "responsible_person": "李强"}
_positions = itertools.count(1)


def positioned(*aggregates: Any) -> list[tuple[int, Any]]:
    return [(next(_positions), e) for a in aggregates for e in a.collect_events()]


def an_enterprise(region: str = "410185") -> Enterprise:
    return Enterprise(credit_code="91410185MA0000001X", name="企业", region_code=region, industry="machinery",
                      supervision_level="county", safety_officer_name="张伟", safety_officer_mobile="13800138000",
                      at=T0, meta=META)


def a_risk(enterprise: Enterprise, code: str, level: int, at: datetime = T0) -> Risk:
    return Risk(enterprise_id=str(enterprise.id), risk_code=code, name="罐区", location="二号", hazard_factors=["泄漏"],
                accident_types=["19"], assessment_method="lec", assessment_score=90.0, inherent_level=4,
                current_level=level, control_measures=[MEASURE], at=at, meta=META)


def a_hazard(enterprise: Enterprise, code: str, level: str = "general", found: datetime = T0) -> Hazard:
    return Hazard(enterprise_id=str(enterprise.id), hazard_code=code, name="报警器失效", description="无响应", level=level,
                  source="self_inspection", risk_id=None, rectification_deadline=found + timedelta(days=7),
                  responsible_person="王磊", governance_type="deadline", rectification_plan=None, at=found, meta=META)


def fold(events: list[tuple[int, Any]], state: RegisterState | None = None) -> RegisterState:
    return RegisterFold(state or RegisterState()).apply_all(events)


def counts(row: dict[str, Any]) -> list[int]:
    return [row[k] for k in ("risks_low", "risks_general", "risks_significant", "risks_major",
                             "hazards_open_general", "hazards_open_major")]


def test_registration_places_the_enterprise_in_its_region_tree() -> None:
    e = an_enterprise("410185")
    state = fold(positioned(e))
    row = state.enterprises[str(e.id)]
    assert (row["province_code"], row["city_code"], row["county_code"]) == ("410000", "410100", "410185")
    assert row["status"] == "active" and counts(row) == [0] * 6
    assert region_parts("419001") == ("410000", None, "419001")  # 济源: a county-level city under the province


def test_risk_counts_follow_identification_level_changes_and_invalidation() -> None:
    e = an_enterprise()
    low, major = a_risk(e, "R-1", 1), a_risk(e, "R-2", 4, T0 + timedelta(days=2))
    state = fold(positioned(e, low, major))
    row = state.enterprises[str(e.id)]
    assert counts(row)[:4] == [1, 0, 0, 1]
    low.change_level(RiskLevel.SIGNIFICANT, "复评", T0 + timedelta(days=5), META)
    major.invalidate("拆除", T0 + timedelta(days=6), META)
    fold(positioned(low, major), state)
    assert counts(row)[:4] == [0, 0, 1, 0]  # moved between levels; the invalidated one left
    assert state.risks[str(major.id)]["status"] == "invalidated"
    assert row["first_risk_identified_at"] == T0
    assert row["last_risk_report_at"] == T0 + timedelta(days=5)  # invalidation is not a report


def test_hazard_open_counts_follow_acceptance_and_invalidation() -> None:
    e = an_enterprise()
    passed, failed, dropped = a_hazard(e, "H-1"), a_hazard(e, "H-2", "major"), a_hazard(e, "H-3")
    state = fold(positioned(e, passed, failed, dropped))
    row = state.enterprises[str(e.id)]
    assert counts(row)[4:] == [2, 1]
    done = T0 + timedelta(days=1)
    for h in (passed, failed):
        h.report_rectification("清理", "王磊", None, done, META)
    passed.accept(True, "赵敏", "合格", done, META)
    failed.accept(False, "赵敏", "不合格", done, META)
    dropped.invalidate("重复", done, META)
    fold(positioned(passed, failed, dropped), state)
    assert counts(row)[4:] == [0, 1]  # a failed acceptance stays open
    assert state.hazards[str(failed.id)]["status"] == "rectifying"
    assert state.hazards[str(failed.id)]["failed_acceptances"] == 1
    assert state.hazards[str(passed.id)]["closed_at"] == done
    assert [a["passed"] for a in state.hazards[str(failed.id)]["details"]["acceptances"]] == [False]


def test_latest_times_are_maxima_not_the_last_event() -> None:
    e = an_enterprise()
    later = Inspection(enterprise_id=str(e.id), inspection_code="I-2", scope="排查", hazards_found=0, inspector="赵敏",
                       at=T0 + timedelta(days=9), meta=META)
    earlier = Inspection(enterprise_id=str(e.id), inspection_code="I-1", scope="排查", hazards_found=0, inspector="赵敏",
                         at=T0 + timedelta(days=3), meta=META)
    state = fold(positioned(e, later, earlier))  # recorded out of business-time order
    assert state.enterprises[str(e.id)]["last_inspection_at"] == T0 + timedelta(days=9)


def test_an_event_already_reflected_is_skipped() -> None:
    e = an_enterprise()
    r = a_risk(e, "R-1", 2)
    events = positioned(e, r)
    r.change_level(RiskLevel.MAJOR, "升级", T0 + timedelta(days=1), META)
    change = positioned(r)
    state = fold(events + change)
    fold(change, state)  # replayed: the row's version already includes it
    assert counts(state.enterprises[str(e.id)])[:4] == [0, 0, 0, 1]


def test_details_change_moves_the_region_and_deregistration_marks_it() -> None:
    e = an_enterprise("410185")
    state = fold(positioned(e))
    e.change_details({"region_code": "410302", "industry": "metallurgy", "safety_officer_name": "李四"}, T0, META)
    e.deregister("注销", T0 + timedelta(days=1), META)
    fold(positioned(e), state)
    row = state.enterprises[str(e.id)]
    assert (row["city_code"], row["county_code"], row["industry"]) == ("410300", "410302", "metallurgy")
    assert (row["status"], row["deregistered_at"]) == ("deregistered", T0 + timedelta(days=1))
    new, old = state.split("enterprises")
    assert len(new) == 1 and old == []  # never loaded from the table: inserted, not updated


def test_each_inspection_is_a_row_written_once() -> None:
    e = an_enterprise()
    i = Inspection(enterprise_id=str(e.id), inspection_code="I-1", scope="日常排查", hazards_found=2, inspector="赵敏",
                   at=T0 + timedelta(days=3), meta=META)
    events = positioned(e, i)
    state = fold(events)
    row = state.inspections[str(i.id)]
    assert row == {
        "inspection_id": str(i.id), "enterprise_id": str(e.id), "inspection_code": "I-1", "scope": "日常排查",
        "hazards_found": 2, "inspector": "赵敏", "performed_at": T0 + timedelta(days=3), "version": 1,
        "position": events[-1][0],
    }
    new, old = state.split("inspections")
    assert new == [row] and old == []
    fold(events[-1:], state)  # replayed: already there, not counted or written again
    assert state.split("inspections") == ([row], [])
