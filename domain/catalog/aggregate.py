"""A published interface (接口) of the government's data exchange platform.

The enterprise interfaces are published from the API's own route declarations on start, so the
catalog always matches what is served; an admin may publish others, revise or withdraw them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.shared.aggregate import LedgerAggregate
from domain.shared.errors import CommandRefused
from domain.shared.meta import Meta

DEFINITION_FIELDS = ("name_zh", "name_en", "description", "version", "operations", "request_schema", "response_schema")


class Interface(LedgerAggregate):
    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/interfaces/{code}")

    @event("Published")
    def __init__(self, code: str, definition: dict[str, Any], at: datetime, meta: Meta) -> None:
        self.code = code
        self.definition = dict(definition)
        self.published_at = at
        self.registration = {"code": code, "definition": self.definition}

    @property
    def status(self) -> str:
        return "withdrawn" if self.ended_reason else "published"

    def revise(self, definition: dict[str, Any], at: datetime, meta: Meta) -> None:
        self._require_open()
        if definition == self.definition:
            raise CommandRefused(f"interface {self.code}: the revision changes nothing")
        self._revised(definition=dict(definition), at=at, meta=meta)

    @event("Revised")
    def _revised(self, definition: dict[str, Any], at: datetime, meta: Meta) -> None:
        self.definition = dict(definition)

    def withdraw(self, reason: str, at: datetime, meta: Meta) -> None:
        self._require_open()
        self._withdrawn(reason=reason, at=at, meta=meta)

    @event("Withdrawn")
    def _withdrawn(self, reason: str, at: datetime, meta: Meta) -> None:
        self.ended_reason = "withdrawn"
        self.withdrawal_reason = reason

    def describe(self) -> str:
        return f"interface {self.code}"
