"""`SupervisionRules`: the one versioned rule set of a deployment, changed only by admins.

Each change is a new version with the admin as actor and the moment it takes effect. Versions are
kept on the aggregate, so "which rules applied at time T" is answered from the same history that an
auditor replays, and every reminder names the version it applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.rules.rule_set import RuleSet
from domain.shared.aggregate import LedgerAggregate
from domain.shared.errors import InvalidValue
from domain.shared.meta import Meta
from domain.shared.time import require_aware

RULES_ID = uuid5(NAMESPACE_URL, "/supervision-rules")


@dataclass(frozen=True)
class RuleVersion:
    number: int  # 0 = the seed's defaults, never published
    rules: RuleSet
    effective_from: datetime | None
    actor: str | None
    recorded_at: datetime | None


DEFAULT_VERSION = RuleVersion(0, RuleSet(), None, None, None)


class SupervisionRules(LedgerAggregate):
    @staticmethod
    def create_id() -> UUID:
        return RULES_ID

    @event("Published")
    def __init__(self, number: int, rules: dict[str, Any], effective_from: datetime, at: datetime, meta: Meta) -> None:
        self.versions: list[dict[str, Any]] = []
        self._add(number, rules, effective_from, meta)

    @classmethod
    def first(cls, rules: RuleSet, effective_from: datetime, at: datetime, meta: Meta) -> SupervisionRules:
        require_aware(effective_from, "effective_from")
        return cls(1, rules.as_dict(), effective_from, at, meta)

    def publish(self, rules: RuleSet, effective_from: datetime, at: datetime, meta: Meta) -> None:
        """A new version. It may take effect later, never before the latest version's start: the
        versions' order is the order they apply in."""
        require_aware(effective_from, "effective_from")
        latest = self.versions[-1]["effective_from"]
        if effective_from < latest:
            raise InvalidValue("effective_from", f"must not be before the current version's start ({latest.isoformat()})")
        self._republished(number=len(self.versions) + 1, rules=rules.as_dict(), effective_from=effective_from, at=at, meta=meta)

    @event("Republished")
    def _republished(self, number: int, rules: dict[str, Any], effective_from: datetime, at: datetime, meta: Meta) -> None:
        self._add(number, rules, effective_from, meta)

    def _add(self, number: int, rules: dict[str, Any], effective_from: datetime, meta: Meta) -> None:
        self.versions.append({"number": number, "rules": rules, "effective_from": effective_from,
                              "actor": meta.actor, "recorded_at": meta.recorded_at})

    def numbered(self, number: int) -> RuleVersion:
        return _version(self.versions[number - 1])

    def in_force(self, moment: datetime) -> RuleVersion:
        """The latest version whose effective_from is at or before `moment` (the defaults before any)."""
        chosen = DEFAULT_VERSION
        for data in self.versions:
            if data["effective_from"] <= moment:
                chosen = _version(data)
        return chosen

    def history(self) -> list[RuleVersion]:
        return [_version(v) for v in self.versions]

    def describe(self) -> str:
        return "the supervision rules"


def _version(data: dict[str, Any]) -> RuleVersion:
    return RuleVersion(data["number"], RuleSet.from_dict(data["rules"]), data["effective_from"], data["actor"],
                       data["recorded_at"])
