"""Use cases on an enterprise's risk list (风险清单)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.enterprises.commands import EnterpriseCommands
from domain.risks.aggregate import ControlMeasure, Risk, measures_as_dicts
from domain.risks.assessment import AssessmentBands, AssessmentMethod
from domain.shared.codes import RiskLevel, parse_accident_type
from domain.shared.commands import CommandContext, CommandRunner, Receipt
from domain.shared.time import require_not_future
from domain.shared.validation import Checks, require_text


@dataclass(frozen=True)
class RiskSpec:
    risk_code: str
    name: str
    location: str
    hazard_factors: list[str]
    accident_types: list[str]
    assessment_method: str
    assessment_score: float
    current_level: str
    control_measures: list[ControlMeasure]
    identified_at: datetime
    inherent_level: str | None = None  # before controls; defaults to the current level
    extra: dict[str, Any] = field(default_factory=dict)

    def validated(self, now: datetime, bands: AssessmentBands) -> dict[str, Any]:
        checks = Checks()
        code = checks.run(require_text, self.risk_code, "risk_code", 64)
        name = checks.run(require_text, self.name, "name", 200)
        location = checks.run(require_text, self.location, "location", 200)
        factors = [checks.run(require_text, f, f"hazard_factors.{i}", 200) for i, f in enumerate(self.hazard_factors)]
        if not self.hazard_factors:
            checks.fail("hazard_factors", "name at least one hazard factor (危险有害因素)")
        accidents = [checks.run(parse_accident_type, a, f"accident_types.{i}") for i, a in enumerate(self.accident_types)]
        if not self.accident_types:
            checks.fail("accident_types", "name at least one possible accident type (GB 6441)")
        method = checks.run(AssessmentMethod.parse, self.assessment_method)
        current = checks.run(RiskLevel.parse, self.current_level, "current_level")
        inherent = checks.run(RiskLevel.parse, self.inherent_level, "inherent_level") if self.inherent_level else current
        if method is not None and inherent is not None:
            checks.run(bands.check, method, self.assessment_score, inherent, "inherent_level")
        if inherent is not None and current is not None and current > inherent:
            checks.fail("current_level", "controls cannot raise a risk above its inherent level")
        measures = checks.run(measures_as_dicts, self.control_measures)
        checks.run(require_not_future, self.identified_at, now, "identified_at")
        checks.done()
        return {
            "risk_code": code, "name": name, "location": location, "hazard_factors": factors,
            "accident_types": accidents, "assessment_method": method.value,
            "assessment_score": float(self.assessment_score), "inherent_level": int(inherent),
            "current_level": int(current), "control_measures": measures, "at": self.identified_at,
        }


class RiskCommands:
    def __init__(self, runner: CommandRunner, enterprises: EnterpriseCommands, bands: AssessmentBands) -> None:
        self._runner = runner
        self._enterprises = enterprises
        self._bands = bands

    def identify(self, ctx: CommandContext, credit_code: str, spec: RiskSpec) -> Receipt:
        fields = spec.validated(ctx.meta.recorded_at, self._bands)
        enterprise_id = str(self._enterprises.active(credit_code).id)
        content = {k: v for k, v in fields.items() if k != "at"} | {"identified_at": fields["at"]}
        return self._runner.create(
            ctx,
            Risk.create_id(enterprise_id, fields["risk_code"]),
            build=lambda: Risk(enterprise_id=enterprise_id, **fields, meta=ctx.meta),
            same_as=lambda existing: existing.same_registration(content),
        )

    def change_level(
        self, ctx: CommandContext, credit_code: str, risk_id: UUID, level: str, reason: str, changed_at: datetime
    ) -> Receipt:
        checks = Checks()
        new_level = checks.run(RiskLevel.parse, level, "level")
        why = checks.run(require_text, reason, "reason", multiline=True)
        checks.run(require_not_future, changed_at, ctx.meta.recorded_at, "changed_at")
        checks.done()
        return self._change(ctx, credit_code, risk_id, lambda r: r.change_level(new_level, why, changed_at, ctx.meta))

    def revise_measures(
        self, ctx: CommandContext, credit_code: str, risk_id: UUID, measures: list[ControlMeasure], reason: str
    ) -> Receipt:
        why = require_text(reason, "reason", multiline=True)
        return self._change(
            ctx, credit_code, risk_id, lambda r: r.revise_measures(measures, why, ctx.meta.recorded_at, ctx.meta)
        )

    def invalidate(self, ctx: CommandContext, credit_code: str, risk_id: UUID, reason: str) -> Receipt:
        why = require_text(reason, "reason", multiline=True)
        return self._change(ctx, credit_code, risk_id, lambda r: r.invalidate(why, ctx.meta.recorded_at, ctx.meta))

    def get(self, credit_code: str, risk_id: UUID) -> Risk:
        return self._runner.load(risk_id, Risk, self._owned_by(credit_code))

    def _change(self, ctx: CommandContext, credit_code: str, risk_id: UUID, decide) -> Receipt:  # noqa: ANN001
        self._enterprises.active(credit_code)  # a deregistered enterprise accepts no new data
        return self._runner.change(ctx, risk_id, Risk, decide, self._owned_by(credit_code))

    def _owned_by(self, credit_code: str):  # noqa: ANN202
        enterprise_id = str(EnterpriseCommands.id_of(credit_code))
        return lambda risk: risk.enterprise_id == enterprise_id
