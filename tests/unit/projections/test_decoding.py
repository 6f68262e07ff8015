"""Catch-up decoding gives the ledger mapper's own events (projections/decoding.py), and the COPY
line writer formats like the per-column formats. No database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from domain.inspections.aggregate import Inspection
from domain.ledger import Ledger
from domain.risks.aggregate import ControlMeasure
from domain.shared.codes import RiskLevel
from projections import decoding, schema
from projections.analytics.facts import drilldown_facts
from projections.base import ENVELOPE
from projections.decoding import FastJSONTranscoder, catch_up_decoder
from projections.sql import _copy_formats, _copy_line
from tests.unit.projections.test_register_fold import META, T0, a_hazard, a_risk, an_enterprise


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return Ledger()  # in-memory (POPO): only its mapper is used


def stored_events(ledger: Ledger) -> list[StoredEvent]:
    """An event of every kind the projections read, encoded by the ledger's mapper."""
    e = an_enterprise()
    risk, hazard = a_risk(e, "R-1", 2), a_hazard(e, "H-1", "major")
    risk.change_level(RiskLevel.MAJOR, "升级", T0 + timedelta(days=1), META)
    risk.revise_measures([ControlMeasure("加装", "team", "部", "人")], "整改\t\\n", T0 + timedelta(days=1), META)
    hazard.report_rectification("清理", "王磊", 100.5, T0 + timedelta(days=2), META)
    hazard.accept(False, "赵敏", "不合格", T0 + timedelta(days=3), META)
    e.change_details({"name": "新名称", "region_code": "410302"}, T0, META)
    i = Inspection(enterprise_id=str(e.id), inspection_code="I-1", scope="排查", hazards_found=1, inspector="赵敏",
                   at=T0, meta=META)
    return [ledger.mapper.to_stored_event(ev) for a in (e, risk, hazard, i) for ev in a.collect_events()]


@pytest.mark.skipif(decoding.orjson is None, reason="the fast path needs orjson; without it the mapper is used as is")
def test_the_fast_path_is_in_use(ledger: Ledger) -> None:
    assert catch_up_decoder(ledger.mapper) != ledger.mapper.to_domain_event


def test_events_are_the_mappers_own(ledger: Ledger) -> None:
    decode = catch_up_decoder(ledger.mapper)
    for stored in stored_events(ledger):
        want, got = ledger.mapper.to_domain_event(stored), decode(stored)
        assert type(got) is type(want) and got.__dict__ == want.__dict__, stored.topic


def test_unread_fields_are_left_out_and_the_rest_is_the_same(ledger: Ledger) -> None:
    decode = catch_up_decoder(ledger.mapper, ENVELOPE)
    for stored in stored_events(ledger):
        want, got = ledger.mapper.to_domain_event(stored), decode(stored)
        assert type(got) is type(want)
        if decoding.orjson is not None:
            assert got.__dict__ == {k: v for k, v in want.__dict__.items() if k not in ENVELOPE}
            with pytest.raises(AttributeError):
                _ = got.meta
        else:
            assert got.__dict__ == want.__dict__


@pytest.mark.skipif(decoding.orjson is None, reason="orjson not installed")
def test_what_orjson_refuses_is_decoded_by_the_ledgers_transcoder(ledger: Ledger) -> None:
    fast = FastJSONTranscoder(ledger.mapper.transcoder, omit=("meta",))
    data = b'{"x": NaN, "big": 123456789012345678901234567890, "meta": 1, "at": {"_type_": "datetime_iso", "_data_": "2026-03-01T09:00:00+08:00"}}'
    got = fast.decode(data)
    assert got["big"] == 123456789012345678901234567890 and got["x"] != got["x"]  # NaN
    assert got["at"] == T0 and "meta" not in got
    nested = b'{"a": [{"_type_": "datetime_iso", "_data_": "2026-03-01T09:00:00+08:00"}, [{"b": {"_type_": "uuid_hex", "_data_": "' + b"0" * 32 + b'"}}]]}'
    assert fast.decode(nested) == ledger.mapper.transcoder.decode(nested)


def test_copy_lines_format_each_column_like_the_column_formats() -> None:
    rows: dict[Any, dict[str, Any]] = {
        schema.risks: {
            "risk_id": "r", "enterprise_id": "e", "risk_code": "R\\1", "name": "罐\t区", "location": "a\nb",
            "assessment_method": "lec", "assessment_score": 90.5, "inherent_level": 4, "level": 3, "status": "valid",
            "identified_at": T0, "level_changed_at": T0, "last_reported_at": T0, "invalidated_at": None,
            "details": {"a": "罐\t区"}, "version": 2, "position": 7,
        },
        schema.daily_activity: {"enterprise_id": "e", "day": date(2026, 3, 1), "risks_identified": 1, "risks_changed": 0,
                                "hazards_registered": 2, "inspections_recorded": 0},
        drilldown_facts: {
            "enterprise_id": "e", "credit_code": "c", "region_code": "410185", "province_code": "410000", "city_code": None,
            "county_code": "410185", "industry": "machinery", "supervision_level": "county", "registered_at": T0,
            "deregistered_at": None, "risk_days": [9556, 9560], "hazard_days": [], "position": 3,
        },
    }
    for table, row in rows.items():
        names, formats = _copy_formats(table)
        want = "\t".join("\\N" if row[n] is None else f(row[n]) for n, f in zip(names, formats, strict=True))
        assert _copy_line(table)(row) == want
    assert _copy_line(drilldown_facts)(rows[drilldown_facts]).split("\t")[10:12] == ["{9556,9560}", "{}"]
    assert _copy_line(schema.risks)(rows[schema.risks]).split("\t")[2:5] == ["R\\\\1", "罐\\t区", "a\\nb"]


def test_a_none_in_a_not_null_column_fails_loudly() -> None:
    with pytest.raises((TypeError, AttributeError)):
        _copy_line(schema.activity_risk_owners)({"risk_id": "r", "enterprise_id": None})


def test_times_keep_their_instant() -> None:
    names, formats = _copy_formats(schema.inspections)
    at = dict(zip(names, formats, strict=True))["performed_at"]
    assert datetime.fromisoformat(at(T0)) == T0
