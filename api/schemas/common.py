"""Shared parts of the published data standard."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class StandardModel(BaseModel):
    """Unknown fields are refused: a typo must not silently drop data."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Invalidation(StandardModel):
    reason: str = Field(min_length=1, max_length=500, description="作废原因 (变更有效状态)")


class Accepted(BaseModel):
    version: int = Field(description="aggregate version after the command (send as If-Match to pin it)")
    position: int | None = Field(description="global position in the ledger's log; null when nothing was written")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict] | None = None


PROBLEMS = {
    401: {"model": Problem, "description": "missing, invalid or expired token"},
    403: {"model": Problem, "description": "role or scope does not allow this"},
    404: {"model": Problem, "description": "no such resource for this caller"},
    409: {"model": Problem, "description": "the current state forbids the command"},
    412: {"model": Problem, "description": "If-Match names a stale version"},
    422: {"model": Problem, "description": "invalid input, with field errors"},
}
