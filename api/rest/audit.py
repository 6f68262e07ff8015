"""Auditor door, first cut: the full event history of one aggregate, in order, with metadata."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from api.deps import AuditorDep, ServicesDep
from api.schemas.audit import AuditEvent
from api.schemas.common import PROBLEMS
from domain.shared.errors import NotFound
from domain.shared.meta import Meta

router = APIRouter(prefix="/audit", tags=["audit"], responses=PROBLEMS)

HIDDEN = {"originator_id", "originator_topic", "originator_version", "timestamp", "meta", "at", "password_hash"}


@router.get("/aggregates/{aggregate_id}/events", response_model=list[AuditEvent])
def aggregate_history(aggregate_id: UUID, _: AuditorDep, services: ServicesDep) -> list[AuditEvent]:
    """Every event of the aggregate in version order with its log position and metadata."""
    events = services.events.aggregate_events(aggregate_id)
    if not events:
        raise NotFound(f"no aggregate {aggregate_id}")
    return [audit_event(e.position, e.version, e.topic, e.event) for e in events]


def audit_event(position: int, version: int, topic: str, event: Any) -> AuditEvent:
    meta: Meta | None = getattr(event, "meta", None)
    at = getattr(event, "at", None)
    data = {k: plain(v) for k, v in vars(event).items() if k not in HIDDEN}
    return AuditEvent(
        position=position, version=version, type=topic.rsplit(":", 1)[-1], topic=topic,
        business_time=at.isoformat() if at else None,
        recorded_at=meta.recorded_at.isoformat() if meta else None,
        metadata={k: plain(v) for k, v in meta.as_dict().items()} if meta else None,
        data=data,
    )


def plain(value: Any) -> Any:
    """JSON-ready: times as ISO text, ids as text, containers walked."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
