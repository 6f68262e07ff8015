"""Auditor door, first cut: the full event history of one aggregate, in order, with metadata."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import AuditorDep, ServicesDep
from api.schemas.common import PROBLEMS
from domain.shared.errors import NotFound
from domain.shared.meta import Meta

router = APIRouter(prefix="/audit", tags=["audit"], responses=PROBLEMS)

HIDDEN = {"originator_id", "originator_topic", "originator_version", "timestamp", "meta", "at", "password_hash"}


class AuditEvent(BaseModel):
    position: int
    version: int
    type: str
    topic: str
    business_time: str | None
    recorded_at: str | None
    metadata: dict[str, Any] | None
    data: dict[str, Any]


@router.get("/aggregates/{aggregate_id}/events", response_model=list[AuditEvent])
def aggregate_history(aggregate_id: UUID, _: AuditorDep, services: ServicesDep) -> list[AuditEvent]:
    """Every event of the aggregate in version order with its log position and metadata."""
    events = services.events.aggregate_events(aggregate_id)
    if not events:
        raise NotFound(f"no aggregate {aggregate_id}")
    return [_audit_event(e.position, e.version, e.topic, e.event) for e in events]


def _audit_event(position: int, version: int, topic: str, event: Any) -> AuditEvent:
    meta: Meta | None = getattr(event, "meta", None)
    at = getattr(event, "at", None)
    data = {k: _plain(v) for k, v in vars(event).items() if k not in HIDDEN}
    return AuditEvent(
        position=position, version=version, type=topic.rsplit(":", 1)[-1], topic=topic,
        business_time=at.isoformat() if at else None,
        recorded_at=meta.recorded_at.isoformat() if meta else None,
        metadata={k: _plain(v) for k, v in meta.as_dict().items()} if meta else None,
        data=data,
    )


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
