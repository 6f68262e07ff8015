"""The investigation record (隐患排查记录): proof that an enterprise investigated, hazard or not."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.shared.aggregate import LedgerAggregate
from domain.shared.meta import Meta


class Inspection(LedgerAggregate):
    @staticmethod
    def create_id(enterprise_id: str, inspection_code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/enterprises/{enterprise_id}/inspections/{inspection_code}")

    @event("Recorded")
    def __init__(
        self,
        enterprise_id: str,
        inspection_code: str,
        scope: str,
        hazards_found: int,
        inspector: str,
        at: datetime,
        meta: Meta,
    ) -> None:
        self.enterprise_id = enterprise_id
        self.inspection_code = inspection_code
        self.scope = scope
        self.hazards_found = hazards_found
        self.inspector = inspector
        self.performed_at = at
        self.registration = {
            "inspection_code": inspection_code, "scope": scope, "hazards_found": hazards_found,
            "inspector": inspector, "performed_at": at,
        }

    def describe(self) -> str:
        return f"inspection {self.inspection_code}"
