"""`EnforcementPlanEntry`: one enterprise on one month's enforcement plan (执法计划).

A supervisor puts an enterprise on a month's plan (seed 1.4.2.3: the answer to an escalation the
enterprise did not heed), or the system does when an escalation stayed unanswered for the rules'
`enforcement_plan_after_days`. An entry is never deleted: it is withdrawn with a reason and may be
reinstated. The id is derived from (period, credit code): an enterprise is on a month's plan once,
and every reminder the entry answers is linked to it (`reminder_ids`), so "which escalation did
the plan answer" is in the log.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.shared.aggregate import LedgerAggregate
from domain.shared.errors import CommandRefused, InvalidValue
from domain.shared.meta import Meta

ORIGINS = ("supervisor", "system")
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(text: str, field: str = "period") -> str:
    """A plan period is a month, `YYYY-MM` (2000-2100)."""
    match = _PERIOD.fullmatch(text or "")
    if match is None or not 2000 <= int(match.group(1)) <= 2100:
        raise InvalidValue(field, "must be a month YYYY-MM, e.g. 2026-12")
    return text


def next_period(day: date) -> str:
    """The month after `day`'s: where the system puts an enterprise it plans automatically."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return f"{year:04d}-{month:02d}"


class EnforcementPlanEntry(LedgerAggregate):
    @staticmethod
    def create_id(credit_code: str, period: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/enforcement-plan/{period}/{credit_code}")

    @event("Added")
    def __init__(self, credit_code: str, enterprise_name: str, placement: dict[str, str], period: str, reason: str,
                 reminder_id: str | None, origin: str, by: str, at: datetime, meta: Meta) -> None:
        """`placement`: region_code, industry, supervision_level of the enterprise when added (the
        plan is listed and scoped by it). `by`: the supervisor's username, or "system"."""
        self.credit_code = credit_code
        self.enterprise_name = enterprise_name
        self.placement = dict(placement)
        self.period = period
        self.reason = reason
        self.origin = origin
        self.added_by = by
        self.added_at = at
        self.reminder_ids: list[str] = [reminder_id] if reminder_id else []
        self.withdrawal: dict[str, object] | None = None
        self.registration = {"credit_code": credit_code, "period": period}

    @property
    def status(self) -> str:
        return "withdrawn" if self.withdrawal is not None else "planned"

    def link(self, reminder_id: str, by: str, at: datetime, meta: Meta) -> bool:
        """The entry also answers this reminder; False (no event) when it already does."""
        if self.withdrawal is not None:
            raise CommandRefused(f"{self.describe()} is withdrawn; reinstate it first")
        if reminder_id in self.reminder_ids:
            return False
        self._linked(reminder_id=reminder_id, by=by, at=at, meta=meta)
        return True

    @event("Linked")
    def _linked(self, reminder_id: str, by: str, at: datetime, meta: Meta) -> None:
        self.reminder_ids.append(reminder_id)

    def withdraw(self, reason: str, by: str, at: datetime, meta: Meta) -> None:
        if self.withdrawal is not None:
            raise CommandRefused(f"{self.describe()} is already withdrawn")
        self._withdrawn(reason=reason, by=by, at=at, meta=meta)

    @event("Withdrawn")
    def _withdrawn(self, reason: str, by: str, at: datetime, meta: Meta) -> None:
        self.withdrawal = {"reason": reason, "by": by, "at": at}

    def reinstate(self, reason: str, reminder_id: str | None, origin: str, by: str, at: datetime, meta: Meta) -> None:
        """Back on the plan after a withdrawal (the entry's history keeps both)."""
        if self.withdrawal is None:
            raise CommandRefused(f"{self.describe()} is on the plan already")
        self._reinstated(reason=reason, reminder_id=reminder_id, origin=origin, by=by, at=at, meta=meta)

    @event("Reinstated")
    def _reinstated(self, reason: str, reminder_id: str | None, origin: str, by: str, at: datetime, meta: Meta) -> None:
        self.withdrawal = None
        self.reason = reason
        self.origin = origin
        if reminder_id and reminder_id not in self.reminder_ids:
            self.reminder_ids.append(reminder_id)

    def describe(self) -> str:
        return f"enforcement plan entry {self.period}/{self.credit_code}"
