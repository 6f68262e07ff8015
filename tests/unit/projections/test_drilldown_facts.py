"""The drill-down facts fold on plain dicts: which business days count as reporting, in which list."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from domain.inspections.aggregate import Inspection
from domain.risks.aggregate import ControlMeasure
from domain.shared.codes import RiskLevel
from projections.analytics.facts import day_number
from projections.analytics.projection import FactsFold
from tests.unit.projections.test_register_fold import META, T0, a_hazard, a_risk, an_enterprise, positioned

CST = timezone(timedelta(hours=8))


def day(d: date) -> int:
    return day_number(d)


def test_reporting_days_land_in_the_right_list_by_business_date() -> None:
    e = an_enterprise()
    risk = a_risk(e, "R-1", 2, at=datetime(2026, 3, 5, 9, tzinfo=CST))
    risk.change_level(RiskLevel.MAJOR, "升级", datetime(2026, 3, 20, 9, tzinfo=CST), META)
    risk.invalidate("拆除", datetime(2026, 3, 25, 9, tzinfo=CST), META)  # not a report
    hazard = a_hazard(e, "H-1", found=datetime(2026, 4, 2, 9, tzinfo=CST))
    # 07:00 in Shanghai is the previous day in UTC: the business date is Shanghai's.
    inspection = Inspection(enterprise_id=str(e.id), inspection_code="I-1", scope="排查", hazards_found=0,
                            inspector="赵敏", at=datetime(2026, 3, 1, 7, tzinfo=CST), meta=META)
    fold = FactsFold({}, {})
    fold.apply_all(positioned(e, risk, hazard, inspection))
    row = fold.rows[str(e.id)]
    assert row["risk_days"] == [day(date(2026, 3, 5)), day(date(2026, 3, 20))]
    assert row["hazard_days"] == [day(date(2026, 3, 1)), day(date(2026, 4, 2))]
    assert (row["city_code"], row["county_code"], row["registered_at"]) == ("410100", "410185", T0)
    assert fold.new_owners == {str(risk.id): str(e.id)}


def test_changes_of_known_risks_use_the_stored_owner_and_days_stay_a_sorted_set() -> None:
    e = an_enterprise()
    risk = a_risk(e, "R-1", 2, at=datetime(2026, 3, 5, 9, tzinfo=CST))
    first = FactsFold({}, {})
    first.apply_all(positioned(e, risk))
    rows = {k: dict(v) for k, v in first.rows.items()}
    risk.revise_measures([ControlMeasure("增加巡检频次", "team", "生产部", "王磊")], "整改", datetime(2026, 3, 5, 15, tzinfo=CST), META)  # same day again
    risk.change_level(RiskLevel.LOW, "降级", datetime(2026, 3, 9, 9, tzinfo=CST), META)
    earlier = a_hazard(e, "H-1", found=datetime(2026, 2, 1, 9, tzinfo=CST))  # reported late, found earlier
    later = FactsFold(rows, {str(risk.id): str(e.id)})
    later.apply_all(positioned(risk, earlier))
    assert later.rows[str(e.id)]["risk_days"] == [day(date(2026, 3, 5)), day(date(2026, 3, 9))]
    assert later.rows[str(e.id)]["hazard_days"] == [day(date(2026, 2, 1))]
    assert later.changed == {str(e.id)}


def test_details_change_and_deregistration_update_the_row() -> None:
    e = an_enterprise()
    fold = FactsFold({}, {})
    fold.apply_all(positioned(e))
    e.change_details({"region_code": "410302", "industry": "metallurgy"}, T0 + timedelta(days=3), META)
    e.deregister("注销", T0 + timedelta(days=9), META)
    fold.apply_all(positioned(e))
    row = fold.rows[str(e.id)]
    assert (row["city_code"], row["county_code"], row["industry"]) == ("410300", "410302", "metallurgy")
    assert row["deregistered_at"] == T0 + timedelta(days=9)


def test_events_of_an_unknown_enterprise_are_ignored() -> None:
    e = an_enterprise()
    fold = FactsFold({}, {})
    fold.apply_all(positioned(a_hazard(e, "H-1")))
    assert fold.rows == {} and fold.changed == set()
