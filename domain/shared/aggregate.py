"""What every ledger aggregate shares: its registration content and the guard against touching
an aggregate that has been invalidated or closed."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from domain.shared.errors import CommandRefused


class LedgerAggregate(Aggregate):
    """Keeps the content it was created with, so a repeated create can be compared (idempotency)."""

    # Plain class attributes, not annotations: the library turns annotations into event fields.
    registration = None  # the creation content; set by every creating event
    ended_reason = None  # why the aggregate accepts no more changes, e.g. "invalidated"

    def same_registration(self, content: dict[str, Any]) -> bool:
        return self.registration == content

    def _require_open(self) -> None:
        if self.ended_reason is not None:
            raise CommandRefused(f"{self.describe()} is {self.ended_reason}; no further change is accepted")

    def describe(self) -> str:
        return f"{type(self).__name__.lower()} {self.id}"
