"""Projections are total: whatever an event in the log holds, the read models reach the head.

The events here are written below the API and the domain's checks (an aggregate built directly,
or a stored event edited before the recorder inserts it), as older code or a hand-made fix
could have written them. docs/operations.md "Poison events" says what the read models store.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from domain.enterprises.aggregate import Enterprise
from domain.ledger import Ledger
from domain.risks.aggregate import Risk
from domain.services import LedgerServices
from projections import failures
from projections.registry import all_projections
from projections.runner import ProjectionRunner
from projections.schema import generation_tables
from projections.tracking import read_rows
from tests.integration.projections.scenario import NOW, T0, credit, ctx, risk
from domain.enterprises.commands import EnterpriseSpec
from domain.shared.meta import Meta

NUL_NAME = "a\x00b"
MEASURE = {"description": "d\x00", "control_level": "team", "department": "生产部", "responsible_person": "李强"}


def register(services: LedgerServices) -> tuple[str, str]:
    code = credit(1, "410102")
    services.enterprises.register(ctx(), EnterpriseSpec(
        code, "示范企业", "410102", "hazardous_chemicals", "county", "张伟", "13800138000", T0 - timedelta(days=30)))
    return code, str(Enterprise.create_id(code))


def unchecked_risk(enterprise_id: str, code: str, **fields: Any) -> Risk:
    """A risk built without the commands' validation (as older code accepted it)."""
    values: dict[str, Any] = {
        "risk_code": code, "name": "液氯储罐区", "location": "二号罐区", "hazard_factors": ["泄漏"],
        "accident_types": ["19"], "assessment_method": "lec", "assessment_score": 400.0, "inherent_level": 4,
        "current_level": 4, "control_measures": [dict(MEASURE, description="巡检")], "at": T0 + timedelta(days=1),
    }
    request = uuid.uuid4().hex
    return Risk(enterprise_id=enterprise_id, **(values | fields), meta=Meta("test", "rest", NOW, request, request))


def save_edited(ledger: Ledger, aggregate: Risk, **state: Any) -> None:
    """Save the aggregate's first event with `state` written over its stored JSON, through the
    recorder (what no command could write: a lone surrogate, a level that does not exist)."""
    [event] = aggregate.collect_events()
    stored = ledger.mapper.to_stored_event(event)
    content = json.loads(stored.state) | state
    ledger.recorder.insert_events([replace(stored, state=json.dumps(content).encode())])


def live_rows(runner: ProjectionRunner, template: str, key: str) -> dict[str, dict[str, Any]]:
    projection = next(p for p in all_projections() if any(t.name == template for t in p.tables))
    with runner.engine.connect() as conn:
        generation = read_rows(conn, [projection.name])[projection.name].generation
        table = generation_tables(projection.tables, generation)[template]
        return {row[key]: dict(row) for row in conn.execute(select(table)).mappings()}


def assert_at_head(runner: ProjectionRunner) -> None:
    status = runner.status()
    assert [s["lag"] for s in status] == [0] * len(status), status


def test_unstorable_text_is_projected_sanitised_and_later_events_follow(ledger: Ledger, services: LedgerServices) -> None:
    code, enterprise_id = register(services)
    nul = unchecked_risk(enterprise_id, "R-\x00", name=NUL_NAME, location="长" * 300,
                         hazard_factors=["f\x00", "ok"], control_measures=[MEASURE])
    ledger.save(nul)
    surrogate = unchecked_risk(enterprise_id, "R-S")
    save_edited(ledger, surrogate, name="s\ud800", hazard_factors=["\udc00x"])
    later = services.risks.identify(ctx(), code, risk("R-later", "general", T0 + timedelta(days=2))).aggregate_id
    services.risks.change_level(ctx(), code, later, "significant", "复评", T0 + timedelta(days=3))

    runner = ProjectionRunner(ledger, batch_size=50)
    try:
        runner.ensure_current()
        runner.catch_up()
        assert_at_head(runner)
        risks = live_rows(runner, "rm_risks", "risk_id")
        stored = risks[str(nul.id)]
        assert (stored["name"], stored["risk_code"]) == ("a\ufffdb", "R-\ufffd")
        assert stored["location"] == "长" * 200  # cut to the column's length
        assert stored["details"]["hazard_factors"] == ["f\ufffd", "ok"]
        assert stored["details"]["control_measures"][0]["description"] == "d\ufffd"
        odd = risks[str(surrogate.id)]
        assert (odd["name"], odd["details"]["hazard_factors"]) == ("s\ufffd", ["\ufffdx"])
        assert risks[str(later)]["level"] == 3  # the events after them were projected
        enterprise = live_rows(runner, "rm_enterprises", "enterprise_id")[enterprise_id]
        assert (enterprise["risks_major"], enterprise["risks_significant"]) == (2, 1)
        assert all(s["failed_events"] == 0 for s in runner.status())
    finally:
        runner.close()


def test_an_event_a_fold_cannot_apply_is_set_aside_for_that_projection_only(
    ledger: Ledger, services: LedgerServices
) -> None:
    code, enterprise_id = register(services)
    bad = unchecked_risk(enterprise_id, "R-bad")
    save_edited(ledger, bad, current_level=9)  # no counter exists for level 9: the register's fold raises
    later = services.risks.identify(ctx(), code, risk("R-later", "low", T0 + timedelta(days=2))).aggregate_id
    position = next(n.id for n in ledger.recorder.select_notifications(start=1, limit=100)
                    if n.originator_id == bad.id)

    for pipelined in (True, False):  # the pipelined writer (PostgreSQL) and the in-turn path
        runner = ProjectionRunner(ledger, batch_size=50, pipelined=pipelined, retry_delay=0.01)
        try:
            for projection in all_projections():
                runner.rebuild(projection.name)
            assert_at_head(runner)
            failed = {s["name"]: s["failed_events"] for s in runner.status()}
            assert failed.pop("registers") == 1
            assert failed.pop("ministry") == 1  # its copy of the register runs the same fold
            assert set(failed.values()) == {0}  # activity, drilldown, ...
            assert str(later) in live_rows(runner, "rm_risks", "risk_id")
            assert str(bad.id) not in live_rows(runner, "rm_risks", "risk_id")
            activity = live_rows(runner, "rm_daily_activity", "day")
            assert sum(row["risks_identified"] for row in activity.values()) == 2  # the other projections took it
            with runner.engine.connect() as conn:
                generation = read_rows(conn, ["registers"])["registers"].generation
                [failure] = failures.listed(conn, "registers", generation)
            assert failure["position"] == position
            assert failure["topic"].endswith("Risk.Identified")
            assert failure["error"].startswith("KeyError: 9 (projections/register/fold.py:")
            assert runner.set_aside == 2  # registers and ministry
        finally:
            runner.close()
    with runner.engine.connect() as conn:  # the retired generations' failures went with their tables
        assert len(conn.execute(select(failures.failures)).all()) == 2


def test_healthz_counts_the_events_set_aside(ledger: Ledger, services: LedgerServices) -> None:
    from api.app import read_model_lag

    _, enterprise_id = register(services)
    save_edited(ledger, unchecked_risk(enterprise_id, "R-bad"), current_level=9)
    runner = ProjectionRunner(ledger, retry_delay=0.01)
    try:
        runner.ensure_current()
        runner.catch_up()
        head = ledger.recorder.max_notification_id()
        health = read_model_lag(runner.engine, head)
    finally:
        runner.close()
    assert health["registers"] == {"position": head, "lag": 0, "failed_events": 1}
    assert health["activity"]["failed_events"] == health["drilldown"]["failed_events"] == 0
