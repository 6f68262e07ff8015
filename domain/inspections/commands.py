"""Use cases on investigation records (隐患排查记录)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.enterprises.commands import EnterpriseCommands
from domain.inspections.aggregate import Inspection
from domain.shared.commands import CommandContext, CommandRunner, Receipt
from domain.shared.time import require_not_future
from domain.shared.validation import Checks, require_text


@dataclass(frozen=True)
class InspectionSpec:
    inspection_code: str
    performed_at: datetime
    scope: str
    hazards_found: int
    inspector: str


class InspectionCommands:
    def __init__(self, runner: CommandRunner, enterprises: EnterpriseCommands) -> None:
        self._runner = runner
        self._enterprises = enterprises

    def record(self, ctx: CommandContext, credit_code: str, spec: InspectionSpec) -> Receipt:
        checks = Checks()
        code = checks.run(require_text, spec.inspection_code, "inspection_code", 64)
        scope = checks.run(require_text, spec.scope, "scope", 500, multiline=True)
        inspector = checks.run(require_text, spec.inspector, "inspector", 50)
        checks.run(require_not_future, spec.performed_at, ctx.meta.recorded_at, "performed_at")
        if spec.hazards_found < 0:
            checks.fail("hazards_found", "must not be negative")
        checks.done()
        enterprise_id = str(self._enterprises.active(credit_code).id)
        fields = {"inspection_code": code, "scope": scope, "hazards_found": spec.hazards_found, "inspector": inspector}
        content = fields | {"performed_at": spec.performed_at}
        return self._runner.create(
            ctx,
            Inspection.create_id(enterprise_id, code),
            build=lambda: Inspection(enterprise_id=enterprise_id, **fields, at=spec.performed_at, meta=ctx.meta),
            same_as=lambda existing: existing.same_registration(content),
        )

    def get(self, credit_code: str, inspection_id: UUID) -> Inspection:
        enterprise_id = str(EnterpriseCommands.id_of(credit_code))
        return self._runner.load(inspection_id, Inspection, lambda i: i.enterprise_id == enterprise_id)
