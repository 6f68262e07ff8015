"""The inspection register, its list and the DataLoader batch lookups on SQLite and PostgreSQL: the
answers agree with the domain (scenario.expected) and with the single-enterprise detail view, and
each lookup is one statement however many keys it is given."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from domain.enterprises.aggregate import Enterprise
from domain.ledger import Ledger
from domain.services import LedgerServices
from projections.register.lookups import Lookups
from projections.register.queries import Registers
from projections.runner import ProjectionRunner
from tests.integration.projections import scenario


@pytest.fixture
def built(ledger: Ledger, services: LedgerServices) -> Iterator[tuple[ProjectionRunner, scenario.Scenario, dict[str, Any]]]:
    s = scenario.run(services)
    want = scenario.expected(services, s)
    runner = ProjectionRunner(ledger, batch_size=9)
    try:
        runner.ensure_current()
        runner.catch_up()
        yield runner, s, want
    finally:
        runner.close()


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements on read-model tables (not the tracking read every query makes first)."""
    seen: list[str] = []

    def record(conn, cursor, sql, params, context, executemany) -> None:  # noqa: ANN001
        if "rm_" in sql:
            seen.append(sql)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_inspections_are_listed_and_paged(built) -> None:
    runner, s, want = built
    registers = Registers(runner.engine)
    seen, after = [], None
    while True:
        page = registers.inspections(first=4, after=after)
        seen += page["items"]
        after = page["end_cursor"]
        if not page["has_next"]:
            break
    assert [i["inspection_id"] for i in seen] == sorted(want["inspections"])
    for item in seen:
        w = want["inspections"][item["inspection_id"]]
        assert {k: item[k] for k in w} == w
    one = registers.inspections(credit_code=s.codes[0])["items"]
    assert {i["credit_code"] for i in one} == {s.codes[0]} and len(one) == 3
    assert registers.counts()["rm_inspections"] == len(want["inspections"])

    detail = registers.enterprise(s.codes[0], scenario.NOW)
    performed = [i["performed_at"] for i in detail["inspections"]]
    assert len(performed) == 3 and performed == sorted(performed, reverse=True)
    assert detail["enterprise"]["last_inspection_at"] == performed[0]


def test_lookups_agree_with_the_detail_view(built) -> None:
    runner, s, want = built
    registers, lookups = Registers(runner.engine), Lookups(runner.engine)
    ids = [str(Enterprise.create_id(code)) for code in s.codes]
    by_code = lookups.enterprises_by_credit_codes([*s.codes, "91410100MISSING000"])
    assert set(by_code["rows"]) == set(s.codes)
    assert by_code["as_of_position"] == runner.status()[0]["position"]
    by_id = lookups.enterprises_by_ids(ids)
    assert {i: r["credit_code"] for i, r in by_id["rows"].items()} == dict(zip(ids, s.codes, strict=True))

    risks = lookups.risks_by_enterprise(ids)["rows"]
    hazards = lookups.hazards_by_enterprise(ids, scenario.NOW)["rows"]
    inspections = lookups.inspections_by_enterprise(ids)["rows"]
    assert set(risks) == set(hazards) == set(inspections) == set(ids)
    for code, enterprise_id in zip(s.codes, ids, strict=True):
        detail = registers.enterprise(code, scenario.NOW)
        assert risks[enterprise_id] == detail["risks"]
        assert hazards[enterprise_id] == detail["hazards"]
        assert inspections[enterprise_id] == detail["inspections"]
    assert {h["hazard_id"]: h["overdue"] for rows in hazards.values() for h in rows} == {
        k: v["overdue"] for k, v in want["hazards"].items()}
    assert risks[ids[5]] == hazards[ids[5]] == inspections[ids[5]] == []  # the late enterprise has none


def test_lookups_filter_and_cap_per_enterprise(built) -> None:
    runner, s, want = built
    lookups = Lookups(runner.engine)
    ids = [str(Enterprise.create_id(code)) for code in s.codes]
    full = lookups.risks_by_enterprise(ids)["rows"]
    capped = lookups.risks_by_enterprise(ids, limit_per_enterprise=2)["rows"]
    assert {k: v[:2] for k, v in full.items()} == capped
    valid = lookups.risks_by_enterprise(ids, status="valid", level=3)["rows"]
    assert {r["risk_id"] for v in valid.values() for r in v} == {
        k for k, v in want["risks"].items() if v == {"level": 3, "status": "valid"}}
    open_major = lookups.hazards_by_enterprise(ids, scenario.NOW, level="major", status="rectifying")["rows"]
    assert {h["hazard_id"] for v in open_major.values() for h in v} == {
        k for k, v in want["hazards"].items() if v["level"] == "major" and v["status"] == "rectifying"}
    latest = lookups.inspections_by_enterprise(ids, limit_per_enterprise=1)["rows"]
    for enterprise_id, rows in lookups.inspections_by_enterprise(ids)["rows"].items():
        assert latest[enterprise_id] == rows[:1]


def test_each_lookup_is_one_statement(built) -> None:
    runner, s, _ = built
    lookups = Lookups(runner.engine)
    ids = [str(Enterprise.create_id(code)) for code in s.codes]
    calls = [
        lambda n: lookups.enterprises_by_credit_codes(s.codes[:n]),
        lambda n: lookups.enterprises_by_ids(ids[:n]),
        lambda n: lookups.risks_by_enterprise(ids[:n], level=2),
        lambda n: lookups.hazards_by_enterprise(ids[:n], scenario.NOW, status="rectifying"),
        lambda n: lookups.inspections_by_enterprise(ids[:n], limit_per_enterprise=2),
    ]
    for call in calls:
        for n in (1, len(ids)):
            with statements(runner.engine) as seen:
                call(n)
            assert len(seen) == 1, seen
    assert lookups.risks_by_enterprise([])["rows"] == {}
    assert lookups.enterprises_by_ids([])["rows"] == {}
