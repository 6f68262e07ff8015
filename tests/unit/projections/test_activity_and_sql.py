"""Daily activity's fold, business dates, COPY text formatting and generation tables. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from domain.risks.aggregate import ControlMeasure
from domain.shared.codes import RiskLevel
from projections import schema
from projections.activity.projection import fold
from projections.sql import _copy_formats, business_day, day_start
from tests.unit.projections.test_register_fold import (
    META,
    T0,
    a_hazard,
    a_risk,
    an_enterprise,
    positioned,
)

CST = timezone(timedelta(hours=8))


def test_business_dates_are_shanghai_dates() -> None:
    assert business_day(datetime(2026, 2, 28, 23, 0, tzinfo=UTC)) == date(2026, 3, 1)
    assert business_day(datetime(2026, 3, 1, 7, 59, tzinfo=CST)) == date(2026, 3, 1)
    assert day_start(date(2026, 3, 1)) == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)


def test_activity_counts_per_enterprise_and_day() -> None:
    e = an_enterprise()
    risk = a_risk(e, "R-1", 2, T0)
    hazard = a_hazard(e, "H-1", found=datetime(2026, 3, 2, 0, 30, tzinfo=CST))  # Shanghai 03-02, UTC 03-01
    first = positioned(e, risk, hazard)
    counts, owners = fold(first, {})
    eid = str(e.id)
    assert counts == {(eid, date(2026, 3, 1)): [1, 0, 0, 0], (eid, date(2026, 3, 2)): [0, 0, 1, 0]}
    assert owners == {str(risk.id): eid}
    risk.change_level(RiskLevel.MAJOR, "升级", T0 + timedelta(days=1), META)
    risk.revise_measures([ControlMeasure("加装", "team", "部", "人")], "整改", T0 + timedelta(days=1), META)
    risk.invalidate("拆除", T0 + timedelta(days=1), META)  # not a report
    counts, owners = fold(positioned(risk), {str(risk.id): eid})  # the owner comes from an earlier batch
    assert counts == {(eid, date(2026, 3, 2)): [0, 2, 0, 0]} and owners == {}


def test_copy_text_escapes_and_formats_by_column_type() -> None:
    names, formats = _copy_formats(schema.risks)
    by_name = dict(zip(names, formats, strict=True))
    assert by_name["name"]("a\tb\\c\nd") == "a\\tb\\\\c\\nd"
    assert by_name["level"](4) == "4"
    assert by_name["identified_at"](datetime(2026, 3, 1, 9, tzinfo=CST)) == "2026-03-01T09:00:00+08:00"
    assert by_name["details"]({"a": "罐\t区"}) == '{"a":"罐\\\\t区"}'


def test_generation_tables_are_renamed_copies() -> None:
    tables = schema.generation_tables((schema.enterprises, schema.risks), 3)
    assert tables["rm_risks"].name == "rm_risks_g3"
    assert {i.name for i in tables["rm_enterprises"].indexes} == {
        "ix_rm_enterprises_credit_code_g3", "ix_rm_enterprises_city_g3", "ix_rm_enterprises_county_g3"}
    assert schema.generation_tables((schema.enterprises, schema.risks), 3) is tables  # built once


def test_times_are_stored_in_utc() -> None:
    kind = schema.UtcDateTime()

    class Dialect:
        name = "sqlite"

    stored = kind.process_bind_param(datetime(2026, 3, 1, 8, tzinfo=CST), Dialect())
    assert stored == datetime(2026, 3, 1, 0, 0) and stored.tzinfo is None
    assert kind.process_result_value(stored, Dialect()) == datetime(2026, 3, 1, tzinfo=UTC)

