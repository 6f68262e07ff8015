"""Executor (a): every plan step through `LedgerServices`, the application services the API uses.

Each step is one command in its own context (a fresh request id from the caller's context factory)
whose metadata carries the step's simulated acceptance time. Re-running a plan is safe: creates
are idempotent (an identical repeat writes nothing and reports the aggregate's version), and a
change step is skipped when its aggregate already has the version the step would produce, so an
interrupted seed resumes where it stopped. An enterprise that exists with other content (seeded
on another day, so with other times) or is deregistered (which accepts no command) is left as it
is, with all its steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from api.demo.plan import (
    AcceptRectification,
    ChangeEnterpriseDetails,
    ChangeRiskLevel,
    DeregisterEnterprise,
    IdentifyRisk,
    InvalidateHazard,
    InvalidateRisk,
    RecordInspection,
    RegisterEnterprise,
    RegisterHazard,
    ReportRectification,
    ReviseRiskMeasures,
    Step,
)
from domain.services import LedgerServices
from domain.shared.commands import CommandContext, Receipt
from domain.shared.errors import Conflict

Call = Callable[[LedgerServices, CommandContext, str, Any], Receipt]

CALLS: dict[type, Call] = {
    RegisterEnterprise: lambda s, ctx, code, c: s.enterprises.register(ctx, c.spec),
    ChangeEnterpriseDetails: lambda s, ctx, code, c: s.enterprises.change_details(ctx, code, c.changes),
    DeregisterEnterprise: lambda s, ctx, code, c: s.enterprises.deregister(ctx, code, c.reason),
    IdentifyRisk: lambda s, ctx, code, c: s.risks.identify(ctx, code, c.spec),
    ChangeRiskLevel: lambda s, ctx, code, c: s.risks.change_level(ctx, code, c.risk_id, c.level, c.reason, c.changed_at),
    ReviseRiskMeasures: lambda s, ctx, code, c: s.risks.revise_measures(ctx, code, c.risk_id, c.measures, c.reason),
    InvalidateRisk: lambda s, ctx, code, c: s.risks.invalidate(ctx, code, c.risk_id, c.reason),
    RegisterHazard: lambda s, ctx, code, c: s.hazards.register(ctx, code, c.spec),
    ReportRectification: lambda s, ctx, code, c: s.hazards.report_rectification(
        ctx, code, c.hazard_id, c.measures, c.completed_at, c.responsible_person, c.cost),
    AcceptRectification: lambda s, ctx, code, c: s.hazards.accept(
        ctx, code, c.hazard_id, c.passed, c.accepted_by, c.accepted_at, c.opinion),
    InvalidateHazard: lambda s, ctx, code, c: s.hazards.invalidate(ctx, code, c.hazard_id, c.reason),
    RecordInspection: lambda s, ctx, code, c: s.inspections.record(ctx, code, c.spec),
}

COUNTED = {RegisterEnterprise: "enterprises", IdentifyRisk: "risks", RegisterHazard: "hazards",
           RecordInspection: "inspections"}


@dataclass
class SeedReport:
    enterprises: int = 0  # newly registered
    risks: int = 0
    hazards: int = 0
    inspections: int = 0
    events: int = 0       # events written by this run
    unchanged: int = 0    # steps already in the ledger
    left_alone: int = 0   # enterprises that exist with other content, or deregistered
    skipped: int = 0      # steps of those enterprises, not tried


@dataclass
class SeedState:
    """What a run learned so far, carried across the calls of one run (a plan written in parts)."""

    versions: dict[UUID, int] = field(default_factory=dict)
    left_alone: set[str] = field(default_factory=set)
    seeded_before: set[str] = field(default_factory=set)  # enterprises registered by an earlier run


def run_steps(services: LedgerServices, steps: Iterable[Step], context: Callable[[], CommandContext],
              report: SeedReport | None = None, state: SeedState | None = None) -> SeedReport:
    report = report or SeedReport()
    state = state or SeedState()
    versions, left_alone, seeded_before = state.versions, state.left_alone, state.seeded_before
    for step in steps:
        if step.credit_code in left_alone:
            report.skipped += 1
            continue
        if not step.creates and versions.get(step.aggregate_id, 0) >= step.version:
            report.unchanged += 1
            continue
        if step.creates and step.credit_code in seeded_before:
            # Look first: a create's checks read the current state (a linked risk must still be
            # valid), which later steps of the earlier run may have changed.
            existing = services.runner.exists(step.aggregate_id)
            if existing is not None:
                versions[step.aggregate_id] = existing.version
                report.unchanged += 1
                continue
        ctx = context()
        ctx = CommandContext(step.meta(ctx.meta), ctx.expected_version, ctx.on_recorded)
        try:
            receipt = CALLS[type(step.command)](services, ctx, step.credit_code, step.command)
        except Conflict:
            if not isinstance(step.command, RegisterEnterprise):
                raise
            left_alone.add(step.credit_code)
            report.left_alone += 1
            continue
        versions[step.aggregate_id] = receipt.version
        if receipt.position is None:
            report.unchanged += 1
            if isinstance(step.command, RegisterEnterprise):
                seeded_before.add(step.credit_code)
                if not services.enterprises.get(step.credit_code).is_active:
                    left_alone.add(step.credit_code)  # deregistered: by this plan (its last step) or by someone else
                    report.left_alone += 1
            continue
        report.events += 1
        counter = COUNTED.get(type(step.command))
        if counter is not None:
            setattr(report, counter, getattr(report, counter) + 1)
    return report
