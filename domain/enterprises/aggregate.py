"""The enterprise (生产经营单位): the party every risk, hazard and inspection belongs to."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.shared.aggregate import LedgerAggregate
from domain.shared.errors import CommandRefused
from domain.shared.meta import Meta

# Fields an admin may change after registration (the credit code never changes: it is the identity).
CHANGEABLE = ("name", "region_code", "industry", "supervision_level", "safety_officer_name", "safety_officer_mobile")


class Enterprise(LedgerAggregate):
    @staticmethod
    def create_id(credit_code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/enterprises/{credit_code}")

    @event("Registered")
    def __init__(
        self,
        credit_code: str,
        name: str,
        region_code: str,
        industry: str,
        supervision_level: str,
        safety_officer_name: str,
        safety_officer_mobile: str,
        at: datetime,
        meta: Meta,
    ) -> None:
        self.credit_code = credit_code
        self.name = name
        self.region_code = region_code
        self.industry = industry
        self.supervision_level = supervision_level
        self.safety_officer_name = safety_officer_name
        self.safety_officer_mobile = safety_officer_mobile
        self.registered_at = at
        self.deregistered_at: datetime | None = None
        self.registration = self.details() | {"credit_code": credit_code, "registered_at": at}

    def details(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CHANGEABLE}

    @property
    def is_active(self) -> bool:
        return self.ended_reason is None

    def change_details(self, changes: dict[str, Any], at: datetime, meta: Meta) -> None:
        self._require_open()
        unknown = set(changes) - set(CHANGEABLE)
        if unknown:
            raise CommandRefused(f"cannot change {', '.join(sorted(unknown))} of an enterprise")
        effective = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not effective:
            raise CommandRefused(f"enterprise {self.credit_code}: the change alters nothing")
        self._details_changed(changes=effective, at=at, meta=meta)

    @event("DetailsChanged")
    def _details_changed(self, changes: dict[str, Any], at: datetime, meta: Meta) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    def deregister(self, reason: str, at: datetime, meta: Meta) -> None:
        self._require_open()
        self._deregistered(reason=reason, at=at, meta=meta)

    @event("Deregistered")
    def _deregistered(self, reason: str, at: datetime, meta: Meta) -> None:
        self.ended_reason = "deregistered"
        self.deregistered_at = at
        self.deregistration_reason = reason

    def describe(self) -> str:
        return f"enterprise {self.credit_code}"
