"""Use cases on hidden hazards (隐患排查治理)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.enterprises.commands import EnterpriseCommands
from domain.hazards.aggregate import GovernanceType, Hazard, HazardSource, RectificationPlan
from domain.risks.aggregate import Risk
from domain.shared.codes import HazardLevel
from domain.shared.commands import CommandContext, CommandRunner, Receipt
from domain.shared.errors import InvalidValue
from domain.shared.time import require_aware, require_not_future
from domain.shared.validation import Checks, require_text


def _enum(cls, value: str, field: str):  # noqa: ANN001, ANN202
    try:
        return cls(value)
    except ValueError:
        raise InvalidValue(field, f"unknown value {value!r}; expected one of {', '.join(c.value for c in cls)}") from None


@dataclass(frozen=True)
class HazardSpec:
    hazard_code: str
    name: str
    description: str
    level: str
    source: str
    found_at: datetime
    responsible_person: str
    governance_type: str
    rectification_deadline: datetime | None = None
    risk_id: UUID | None = None
    rectification_plan: RectificationPlan | None = None

    def validated(self, now: datetime) -> dict[str, Any]:
        checks = Checks()
        code = checks.run(require_text, self.hazard_code, "hazard_code", 64)
        name = checks.run(require_text, self.name, "name", 200)
        description = checks.run(require_text, self.description, "description", 2000, multiline=True)
        level = checks.run(HazardLevel.parse, self.level, "level")
        source = checks.run(_enum, HazardSource, self.source, "source")
        governance = checks.run(_enum, GovernanceType, self.governance_type, "governance_type")
        person = checks.run(require_text, self.responsible_person, "responsible_person", 50)
        found = checks.run(require_not_future, self.found_at, now, "found_at")
        deadline = self.rectification_deadline
        if deadline is not None and checks.run(require_aware, deadline, "rectification_deadline") and found:
            if deadline <= self.found_at:
                checks.fail("rectification_deadline", "must be after found_at")
        if governance is GovernanceType.DEADLINE and deadline is None:
            checks.fail("rectification_deadline", "a 限期整改 hazard needs a rectification deadline")
        if level is HazardLevel.MAJOR:
            if governance is GovernanceType.IMMEDIATE:
                checks.fail("governance_type", "a major hazard is always 限期整改 (deadline)")
            if self.rectification_plan is None:
                checks.fail("rectification_plan", "a major hazard needs a rectification plan (治理方案)")
        if self.rectification_plan is not None:
            for element, text in self.rectification_plan.as_dict().items():
                checks.run(require_text, text, f"rectification_plan.{element}", 2000, multiline=True)
        checks.done()
        return {
            "hazard_code": code, "name": name, "description": description, "level": level.value,
            "source": source.value, "risk_id": str(self.risk_id) if self.risk_id else None,
            "rectification_deadline": deadline, "responsible_person": person, "governance_type": governance.value,
            "rectification_plan": self.rectification_plan.as_dict() if self.rectification_plan else None,
            "at": self.found_at,
        }


class HazardCommands:
    def __init__(self, runner: CommandRunner, enterprises: EnterpriseCommands) -> None:
        self._runner = runner
        self._enterprises = enterprises

    def register(self, ctx: CommandContext, credit_code: str, spec: HazardSpec) -> Receipt:
        fields = spec.validated(ctx.meta.recorded_at)
        enterprise_id = str(self._enterprises.active(credit_code).id)
        if spec.risk_id is not None:
            self._check_risk_link(spec.risk_id, enterprise_id)
        content = {k: v for k, v in fields.items() if k != "at"} | {"found_at": fields["at"]}
        return self._runner.create(
            ctx,
            Hazard.create_id(enterprise_id, fields["hazard_code"]),
            build=lambda: Hazard(enterprise_id=enterprise_id, **fields, meta=ctx.meta),
            same_as=lambda existing: existing.same_registration(content),
        )

    def _check_risk_link(self, risk_id: UUID, enterprise_id: str) -> None:
        risk = self._runner.exists(risk_id)
        if not isinstance(risk, Risk) or risk.enterprise_id != enterprise_id:
            raise InvalidValue("risk_id", f"no risk {risk_id} on this enterprise's risk list")
        if risk.status != "valid":
            raise InvalidValue("risk_id", f"risk {risk.risk_code} is invalidated; link a valid risk")

    def report_rectification(
        self, ctx: CommandContext, credit_code: str, hazard_id: UUID,
        measures: str, completed_at: datetime, responsible_person: str, cost: float | None,
    ) -> Receipt:
        checks = Checks()
        what = checks.run(require_text, measures, "measures", 2000, multiline=True)
        who = checks.run(require_text, responsible_person, "responsible_person", 50)
        checks.run(require_not_future, completed_at, ctx.meta.recorded_at, "completed_at")
        if cost is not None and cost < 0:
            checks.fail("cost", "must not be negative")
        checks.done()
        return self._change(
            ctx, credit_code, hazard_id, lambda h: h.report_rectification(what, who, cost, completed_at, ctx.meta)
        )

    def accept(
        self, ctx: CommandContext, credit_code: str, hazard_id: UUID,
        passed: bool, accepted_by: str, accepted_at: datetime, opinion: str,
    ) -> Receipt:
        checks = Checks()
        who = checks.run(require_text, accepted_by, "accepted_by", 50)
        why = checks.run(require_text, opinion, "opinion", 2000, multiline=True)
        checks.run(require_not_future, accepted_at, ctx.meta.recorded_at, "accepted_at")
        checks.done()
        return self._change(ctx, credit_code, hazard_id, lambda h: h.accept(passed, who, why, accepted_at, ctx.meta))

    def invalidate(self, ctx: CommandContext, credit_code: str, hazard_id: UUID, reason: str) -> Receipt:
        why = require_text(reason, "reason", multiline=True)
        return self._change(ctx, credit_code, hazard_id, lambda h: h.invalidate(why, ctx.meta.recorded_at, ctx.meta))

    def get(self, credit_code: str, hazard_id: UUID) -> Hazard:
        return self._runner.load(hazard_id, Hazard, self._owned_by(credit_code))

    def _change(self, ctx: CommandContext, credit_code: str, hazard_id: UUID, decide) -> Receipt:  # noqa: ANN001
        self._enterprises.active(credit_code)  # a deregistered enterprise accepts no new data
        return self._runner.change(ctx, hazard_id, Hazard, decide, self._owned_by(credit_code))

    def _owned_by(self, credit_code: str):  # noqa: ANN202
        enterprise_id = str(EnterpriseCommands.id_of(credit_code))
        return lambda hazard: hazard.enterprise_id == enterprise_id
