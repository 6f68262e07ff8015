"""Use cases on the enterprise register (admin door and the bulk CSV import)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.enterprises.aggregate import Enterprise
from domain.shared.codes import Industry, MobileNumber, SupervisionLevel
from domain.shared.commands import CommandContext, CommandRunner, Receipt
from domain.shared.credit_code import CreditCode
from domain.shared.errors import CommandRefused, NotFound
from domain.shared.regions import henan_regions
from domain.shared.time import require_not_future
from domain.shared.validation import Checks, require_text


@dataclass(frozen=True)
class EnterpriseSpec:
    """A registration as the data standard states it, before validation."""

    credit_code: str
    name: str
    region_code: str
    industry: str
    supervision_level: str
    safety_officer_name: str
    safety_officer_mobile: str
    registered_at: datetime

    def validated(self, now: datetime) -> dict[str, Any]:
        """Normalised event fields, or InvalidValues naming every bad field."""
        checks = Checks()
        credit = checks.run(CreditCode.parse, self.credit_code)
        name = checks.run(require_text, self.name, "name", 200)
        region = checks.run(henan_regions().parse, self.region_code)
        industry = checks.run(Industry.parse, self.industry)
        level = checks.run(SupervisionLevel.parse, self.supervision_level)
        officer = checks.run(require_text, self.safety_officer_name, "safety_officer.name", 50)
        mobile = checks.run(MobileNumber.parse, self.safety_officer_mobile, "safety_officer.mobile")
        checks.run(require_not_future, self.registered_at, now, "registered_at")
        checks.done()
        return {
            "credit_code": str(credit), "name": name, "region_code": region.code, "industry": industry.value,
            "supervision_level": level.value, "safety_officer_name": officer,
            "safety_officer_mobile": str(mobile), "at": self.registered_at,
        }


def validate_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Validate a partial update (PATCH) with the same rules as a registration."""
    checks = Checks()
    parsers = {
        "name": lambda v: require_text(v, "name", 200),
        "region_code": lambda v: henan_regions().parse(v).code,
        "industry": lambda v: Industry.parse(v).value,
        "supervision_level": lambda v: SupervisionLevel.parse(v).value,
        "safety_officer_name": lambda v: require_text(v, "safety_officer.name", 50),
        "safety_officer_mobile": lambda v: str(MobileNumber.parse(v, "safety_officer.mobile")),
    }
    result = {}
    for key, value in changes.items():
        if key not in parsers:
            checks.fail(key, "cannot be changed")
            continue
        parsed = checks.run(parsers[key], value)
        if parsed is not None:
            result[key] = parsed
    checks.done()
    return result


class EnterpriseCommands:
    def __init__(self, runner: CommandRunner) -> None:
        self._runner = runner

    def register(self, ctx: CommandContext, spec: EnterpriseSpec) -> Receipt:
        fields = spec.validated(ctx.meta.recorded_at)
        content = {k: v for k, v in fields.items() if k != "at"} | {"registered_at": fields["at"]}
        return self._runner.create(
            ctx,
            Enterprise.create_id(fields["credit_code"]),
            build=lambda: Enterprise(**fields, meta=ctx.meta),
            same_as=lambda existing: existing.same_registration(content),
        )

    def change_details(self, ctx: CommandContext, credit_code: str, changes: dict[str, Any]) -> Receipt:
        valid = validate_changes(changes)
        return self._runner.change(
            ctx, self.id_of(credit_code), Enterprise,
            lambda e: e.change_details(valid, ctx.meta.recorded_at, ctx.meta),
        )

    def deregister(self, ctx: CommandContext, credit_code: str, reason: str) -> Receipt:
        text = require_text(reason, "reason", multiline=True)
        return self._runner.change(
            ctx, self.id_of(credit_code), Enterprise, lambda e: e.deregister(text, ctx.meta.recorded_at, ctx.meta)
        )

    def get(self, credit_code: str) -> Enterprise:
        return self._runner.load(self.id_of(credit_code), Enterprise)

    def active(self, credit_code: str) -> Enterprise:
        """The enterprise a command acts for; it must be registered and not deregistered."""
        try:
            enterprise = self.get(credit_code)
        except NotFound:
            raise CommandRefused(f"enterprise {credit_code} is not registered") from None
        if not enterprise.is_active:
            raise CommandRefused(f"enterprise {credit_code} is deregistered")
        return enterprise

    @staticmethod
    def id_of(credit_code: str):  # noqa: ANN205 - UUID
        return Enterprise.create_id(CreditCode.parse(credit_code).value)
