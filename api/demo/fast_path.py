"""Executor (b), for benchmarks: the plan's steps applied to the domain aggregates directly, their
events written many per transaction.

It validates each step with the same specs and calls the same aggregate methods, with the same
arguments, as the application services do (domain/*/commands.py), so the events are the same;
tests/integration/test_demo_executors.py checks that against executor (a). What it skips is the
per-command round trip: no aggregate is loaded from the store (a chunk's aggregates stay in
memory; a chunk holds whole enterprises), no command is committed on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol

from api.demo.plan import (
    CHUNK,
    AcceptRectification,
    ChangeEnterpriseDetails,
    ChangeRiskLevel,
    DeregisterEnterprise,
    IdentifyRisk,
    InvalidateHazard,
    InvalidateRisk,
    Province,
    RecordInspection,
    RegisterEnterprise,
    RegisterHazard,
    ReportRectification,
    ReviseRiskMeasures,
    Step,
    log_order,
)
from domain.enterprises.aggregate import Enterprise
from domain.enterprises.commands import validate_changes
from domain.hazards.aggregate import Hazard
from domain.inspections.aggregate import Inspection
from domain.ledger import Ledger
from domain.risks.aggregate import Risk
from domain.risks.assessment import AssessmentBands
from domain.shared.codes import RiskLevel
from domain.shared.errors import CommandRefused
from domain.shared.meta import Channel, Meta
from domain.shared.validation import require_text

SEED_ACTOR = "cli:demo-seed"


class FastPath:
    """Turns plan steps into domain events without the store: one event per step."""

    def __init__(self, actor: str = SEED_ACTOR, channel: str = Channel.CLI.value,
                 bands: AssessmentBands | None = None, request_prefix: str = "seed") -> None:
        self.actor, self.channel, self.prefix = actor, channel, request_prefix
        self.bands = bands or AssessmentBands()

    def events(self, steps: list[Step]) -> list[DomainEventProtocol[UUID]]:
        """The events of `steps` in order; `steps` must hold whole enterprises (a chunk)."""
        aggregates: dict[Any, Aggregate] = {}  # by id; enterprises also by credit code
        out = []
        for step in steps:
            request = f"{self.prefix}-{step.enterprise}-{step.seq}"
            meta = step.meta(Meta(self.actor, self.channel, step.recorded_at, request, request))
            aggregate = self.apply(aggregates, step, meta)
            new = aggregate.collect_events()
            if len(new) != 1 or new[0].originator_version != step.version:
                raise AssertionError(f"step {step} produced {len(new)} events")  # a bug in the plan
            out.append(new[0])
        return out

    def apply(self, aggregates: dict[UUID, Aggregate], step: Step, meta: Meta) -> Aggregate:
        c: Any = step.command
        if isinstance(c, RegisterEnterprise):
            aggregate: Aggregate = Enterprise(**c.spec.validated(meta.recorded_at), meta=meta)
            aggregates[aggregate.id] = aggregates[step.credit_code] = aggregate
            return aggregate
        enterprise = aggregates[step.credit_code]
        if not enterprise.is_active:  # type: ignore[attr-defined]
            raise CommandRefused(f"enterprise {step.credit_code} is deregistered")  # as the services refuse it
        owner = str(enterprise.id)
        if isinstance(c, ChangeEnterpriseDetails):
            enterprise.change_details(validate_changes(c.changes), meta.recorded_at, meta)  # type: ignore[attr-defined]
        elif isinstance(c, DeregisterEnterprise):
            enterprise.deregister(require_text(c.reason, "reason", multiline=True), meta.recorded_at, meta)  # type: ignore[attr-defined]
        elif isinstance(c, IdentifyRisk):
            aggregate = Risk(enterprise_id=owner, **c.spec.validated(meta.recorded_at, self.bands), meta=meta)
            aggregates[aggregate.id] = aggregate
            return aggregate
        elif isinstance(c, RegisterHazard):
            aggregate = Hazard(enterprise_id=owner, **c.spec.validated(meta.recorded_at), meta=meta)
            aggregates[aggregate.id] = aggregate
            return aggregate
        elif isinstance(c, RecordInspection):
            s = c.spec
            aggregate = Inspection(enterprise_id=owner, inspection_code=require_text(s.inspection_code, "inspection_code", 64),
                                   scope=require_text(s.scope, "scope", 500, multiline=True), hazards_found=s.hazards_found,
                                   inspector=require_text(s.inspector, "inspector", 50), at=s.performed_at, meta=meta)
            aggregates[aggregate.id] = aggregate
            return aggregate
        else:
            aggregate = aggregates[step.aggregate_id]
            _CHANGES[type(c)](aggregate, c, meta)
            return aggregate
        return enterprise


_CHANGES: dict[type, Callable[[Any, Any, Meta], None]] = {
    ChangeRiskLevel: lambda r, c, m: r.change_level(RiskLevel.parse(c.level, "level"), require_text(c.reason, "reason", multiline=True),
                                                    c.changed_at, m),
    ReviseRiskMeasures: lambda r, c, m: r.revise_measures(c.measures, require_text(c.reason, "reason", multiline=True), m.recorded_at, m),
    InvalidateRisk: lambda r, c, m: r.invalidate(require_text(c.reason, "reason", multiline=True), m.recorded_at, m),
    ReportRectification: lambda h, c, m: h.report_rectification(
        require_text(c.measures, "measures", 2000, multiline=True), require_text(c.responsible_person, "responsible_person", 50),
        c.cost, c.completed_at, m),
    AcceptRectification: lambda h, c, m: h.accept(
        c.passed, require_text(c.accepted_by, "accepted_by", 50), require_text(c.opinion, "opinion", 2000, multiline=True),
        c.accepted_at, m),
    InvalidateHazard: lambda h, c, m: h.invalidate(require_text(c.reason, "reason", multiline=True), m.recorded_at, m),
}


@dataclass
class FillReport:
    enterprises: int = 0
    events: int = 0


def event_chunks(province: Province, enterprises: int | None = None, events: int | None = None,
                 chunk: int = CHUNK, fast: FastPath | None = None) -> Iterator[tuple[int, list[DomainEventProtocol[UUID]]]]:
    """(enterprises in the chunk, its events in log order), until `enterprises` are planned or
    `events` events are produced (the last chunk then cut to exactly that many: a prefix of a log
    is a valid log)."""
    fast = fast or FastPath()
    produced = 0
    plans = province.enterprises(enterprises)
    for steps in log_order(plans, chunk):
        batch = fast.events(steps)
        if events is not None:
            batch = batch[: events - produced]
        produced += len(batch)
        yield len({s.enterprise for s in steps}), batch
        if events is not None and produced >= events:
            return


def fill(ledger: Ledger, province: Province, enterprises: int | None = None, events: int | None = None,
         per_transaction: int = 5000, progress: Callable[[FillReport], None] | None = None,
         fast: FastPath | None = None, chunk: int = CHUNK) -> FillReport:
    """Write the province's events into `ledger`, `per_transaction` events per insert transaction.

    (Planning and encoding in worker processes while this one inserts was tried: no faster on the
    2-vCPU machine, where PostgreSQL needs the other core.)"""
    if enterprises is None and events is None:
        raise ValueError("say how many enterprises or events")
    report = FillReport()
    to_stored = ledger.mapper.to_stored_event
    for planned, batch in event_chunks(province, enterprises, events, chunk, fast):
        stored = [to_stored(e) for e in batch]
        for i in range(0, len(stored), per_transaction):
            ledger.recorder.insert_events(stored[i: i + per_transaction])
        report.enterprises += planned
        report.events += len(stored)
        if progress is not None:
            progress(report)
    return report
