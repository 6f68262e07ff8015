"""Who, how and when: the metadata every event carries.

eventsourcing 9.5 has no metadata facility, so each event method takes a `Meta` argument and the
Ledger registers a transcoding that stores it as a small dict beside the event's own fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from eventsourcing.persistence import Transcoding


class Channel(StrEnum):
    """The door a command came through."""

    REST = "rest"
    ADMIN = "admin"
    CLI = "cli"
    SCHEDULER = "scheduler"


@dataclass(frozen=True)
class Meta:
    """Attribution of one command: principal, door, request/correlation/causation ids, ledger time.

    `recorded_at` is the ledger's own clock at acceptance, as opposed to the business time the client
    states (found_at, changed_at, ...), which events carry as `at`.
    """

    actor: str
    channel: str
    recorded_at: datetime
    request_id: str
    correlation_id: str
    causation_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies, and this runs for every stored event.
        return {
            "actor": self.actor, "channel": self.channel, "recorded_at": self.recorded_at,
            "request_id": self.request_id, "correlation_id": self.correlation_id, "causation_id": self.causation_id,
        }


class MetaAsDict(Transcoding):
    type = Meta
    name = "meta"

    def encode(self, obj: Meta) -> dict[str, Any]:
        return obj.as_dict()

    def decode(self, data: dict[str, Any]) -> Meta:
        return Meta(**data)
