"""An event as auditors (and a reminder's trail) see it: position, version, type, times, metadata."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class AuditEvent(BaseModel):
    position: int
    version: int
    type: str
    topic: str
    business_time: str | None
    recorded_at: str | None
    metadata: dict[str, Any] | None
    data: dict[str, Any]
