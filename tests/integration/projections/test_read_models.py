"""The read models say what the domain did: a realistic sequence through the domain services (group
commit, concurrent commands) on SQLite and PostgreSQL, compared with the aggregates' own state."""

from __future__ import annotations

from collections import Counter

from eventsourcing.utils import get_topic
from sqlalchemy import select

from domain.enterprises.aggregate import Enterprise
from domain.ledger import Ledger
from domain.services import LedgerServices
from projections.live import LiveTables
from projections.registry import all_projections
from projections.register.queries import Registers
from projections.runner import ProjectionRunner
from tests.integration.projections import scenario
from tests.integration.projections.conftest import read_model


def test_read_models_match_the_domain(ledger: Ledger, services: LedgerServices) -> None:
    s = scenario.run(services)
    want = scenario.expected(services, s)
    runner = ProjectionRunner(ledger, batch_size=7)  # many small batches: state crosses batch borders
    try:
        runner.ensure_current()
        runner.catch_up()
        live = LiveTables(runner.engine)

        def rows(snap):
            t = snap.tables
            return (
                [dict(r._mapping) for r in snap.conn.execute(select(t["rm_enterprises"]))],
                [dict(r._mapping) for r in snap.conn.execute(select(t["rm_risks"]))],
                [dict(r._mapping) for r in snap.conn.execute(select(t["rm_hazards"]))],
                [dict(r._mapping) for r in snap.conn.execute(select(t["rm_daily_activity"]))],
                [dict(r._mapping) for r in snap.conn.execute(select(t["rm_inspections"]))],
            )

        enterprises, risks, hazards, activity, inspections = live.run(("registers", "activity"), rows)
    finally:
        runner.close()

    assert len(enterprises) == len(want["enterprises"])
    for row in enterprises:
        e = want["enterprises"][row["enterprise_id"]]
        assert (row["credit_code"], row["region_code"], row["city_code"], row["county_code"], row["industry"],
                row["status"]) == (e["credit_code"], e["region_code"], e["city_code"], e["county_code"],
                                   e["industry"], e["status"])
        assert row["registered_at"] == e["registered_at"]
        assert [row["risks_low"], row["risks_general"], row["risks_significant"], row["risks_major"]] == [
            e["risks"][level] for level in (1, 2, 3, 4)], row["credit_code"]
        assert [row["hazards_open_general"], row["hazards_open_major"]] == [
            e["hazards_open"]["general"], e["hazards_open"]["major"]]
        assert row["first_risk_identified_at"] == e["first_risk"]
        assert row["last_risk_report_at"] == e["last_report"]
        assert row["last_hazard_registered_at"] == e["last_hazard"]
        assert row["last_inspection_at"] == e["last_inspection"]
    assert {r["risk_id"]: {"level": r["level"], "status": r["status"]} for r in risks} == want["risks"]
    assert {h["hazard_id"]: (h["status"], h["level"], h["rectification_deadline"], h["failed_acceptances"])
            for h in hazards} == {k: (v["status"], v["level"], v["deadline"], v["failed"])
                                  for k, v in want["hazards"].items()}
    assert {i["inspection_id"]: {k: i[k] for k in ("enterprise_id", "inspection_code", "scope", "hazards_found",
                                                    "inspector", "performed_at")}
            for i in inspections} == want["inspections"]
    got_activity: Counter = Counter()
    for row in activity:
        for kind in ("risks_identified", "risks_changed", "hazards_registered", "inspections_recorded"):
            if row[kind]:
                got_activity[(row["enterprise_id"], row["day"], kind)] = row[kind]
    assert got_activity == want["activity"]


def test_overdue_is_computed_at_query_time(ledger: Ledger, services: LedgerServices) -> None:
    s = scenario.run(services, enterprises=2)
    want = scenario.expected(services, s)
    runner = ProjectionRunner(ledger)
    try:
        runner.catch_up()
        registers = Registers(runner.engine)
        detail = registers.enterprise(s.codes[0], scenario.NOW)
        early = registers.enterprise(s.codes[0], scenario.T0)  # before any deadline
    finally:
        runner.close()
    overdue = {h["hazard_id"] for h in detail["hazards"] if h["overdue"]}
    assert overdue == {k for k, v in want["hazards"].items() if v["overdue"]} & {h["hazard_id"] for h in detail["hazards"]}
    assert detail["enterprise"]["overdue_rectifications"] == len(overdue) == 2  # failed acceptance + left open
    assert early["enterprise"]["overdue_rectifications"] == 0
    assert detail["as_of_position"] == ledger.recorder.max_notification_id()


def test_catch_up_is_idempotent(ledger: Ledger, services: LedgerServices) -> None:
    scenario.run(services, enterprises=3)
    runner = ProjectionRunner(ledger, batch_size=5)
    try:
        first = runner.catch_up()
        before = read_model(runner.engine)
        assert runner.catch_up() == 0  # nothing new: nothing applied
        assert read_model(runner.engine) == before
        services.enterprises.register(scenario.ctx(), scenario.EnterpriseSpec(
            scenario.credit(99, "410185"), "后来企业", "410185", "machinery", "county", "张伟", "13800138000", scenario.T0))
        readers = [p for p in all_projections() if get_topic(Enterprise.Registered) in p.topics]
        assert len(readers) >= 3  # registers, drilldown, scan facts, ...
        assert runner.catch_up() == len(readers)  # the registration, applied once by each reader
        assert all(s["lag"] == 0 for s in runner.status())
    finally:
        runner.close()
    assert first > 0
