"""Use cases on the interface catalog."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from eventsourcing.utils import get_topic

from domain.catalog.aggregate import Interface
from domain.shared.commands import CommandContext, CommandRunner, Receipt
from domain.shared.errors import CommandRefused, InvalidValue, NotFound
from domain.shared.validation import Checks, require_clean_text, require_text


@dataclass(frozen=True)
class InterfaceSpec:
    code: str
    name_zh: str
    name_en: str
    description: str
    version: str
    operations: list[dict[str, str]] = field(default_factory=list)  # [{"method": "POST", "path": "/api/v1/risks"}]
    request_schema: str | None = None
    response_schema: str | None = None

    def definition(self) -> dict[str, Any]:
        checks = Checks()
        checks.run(require_text, self.name_zh, "name_zh", 100)
        checks.run(require_text, self.name_en, "name_en", 100)
        checks.run(require_text, self.version, "version", 20)
        checks.run(require_clean_text, self.description or "", "description", multiline=True)
        for name in ("request_schema", "response_schema"):
            checks.run(require_clean_text, getattr(self, name) or "", name, multiline=True)
        if not self.operations:
            checks.fail("operations", "name at least one HTTP method and path")
        for i, op in enumerate(self.operations):
            if op.get("method", "").upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                checks.fail(f"operations.{i}.method", "must be an HTTP method")
            if not op.get("path", "").startswith("/"):
                checks.fail(f"operations.{i}.path", "must be an absolute path")
            checks.run(require_clean_text, op.get("path", ""), f"operations.{i}.path")
        checks.done()
        data = asdict(self)
        data.pop("code")
        data["operations"] = [{"method": op["method"].upper(), "path": op["path"]} for op in self.operations]
        return data


def _code(text: str) -> str:
    code = (text or "").strip()
    if not code or len(code) > 64 or not all(c.isalnum() or c in "._-" for c in code):
        raise InvalidValue("code", "1-64 letters, digits, '.', '_' or '-'")
    return code


class InterfaceCommands:
    def __init__(self, runner: CommandRunner, list_ids: Any) -> None:
        self._runner = runner
        self._list_ids = list_ids  # callable(topic) -> ids of aggregates with an event of that topic

    def publish(self, ctx: CommandContext, spec: InterfaceSpec) -> Receipt:
        code = _code(spec.code)
        definition = spec.definition()
        return self._runner.create(
            ctx, Interface.create_id(code),
            build=lambda: Interface(code=code, definition=definition, at=ctx.meta.recorded_at, meta=ctx.meta),
            same_as=lambda existing: existing.definition == definition and existing.status == "published",
        )

    def revise(self, ctx: CommandContext, spec: InterfaceSpec) -> Receipt:
        definition = spec.definition()
        return self._runner.change(
            ctx, Interface.create_id(_code(spec.code)), Interface,
            lambda i: i.revise(definition, ctx.meta.recorded_at, ctx.meta),
        )

    def withdraw(self, ctx: CommandContext, code: str, reason: str) -> Receipt:
        why = require_text(reason, "reason", multiline=True)
        return self._runner.change(
            ctx, Interface.create_id(_code(code)), Interface, lambda i: i.withdraw(why, ctx.meta.recorded_at, ctx.meta)
        )

    def declare(self, ctx: CommandContext, specs: list[InterfaceSpec]) -> list[Receipt]:
        """Make the catalog match the code's own declarations: publish what is new, revise what
        changed, leave the rest (idempotent on every start)."""
        receipts = []
        for spec in specs:
            existing = self._runner.exists(Interface.create_id(spec.code))
            if existing is None:
                receipts.append(self.publish(ctx, spec))
            elif isinstance(existing, Interface) and existing.status == "published" and existing.definition != spec.definition():
                receipts.append(self.revise(ctx, spec))
        return receipts

    def get(self, code: str) -> Interface:
        return self._runner.load(Interface.create_id(_code(code)), Interface)

    def all(self) -> list[Interface]:
        found = [self._runner.exists(i) for i in self._list_ids(get_topic(Interface.Published))]
        return sorted((i for i in found if isinstance(i, Interface)), key=lambda i: i.code)

    def published_codes(self) -> set[str]:
        return {i.code for i in self.all() if i.status == "published"}

    def require_published(self, codes: list[str]) -> None:
        try:
            interfaces = [self.get(c) for c in codes]
        except (NotFound, InvalidValue):
            raise InvalidValue("interfaces", f"unknown interface among {', '.join(codes)}") from None
        withdrawn = [i.code for i in interfaces if i.status != "published"]
        if withdrawn:
            raise CommandRefused(f"interface(s) withdrawn: {', '.join(withdrawn)}")
