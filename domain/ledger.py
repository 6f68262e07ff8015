"""The single write model: one eventsourcing application, one notification log, so every event of
every aggregate has one global position (what projections track and reports cite)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from domain.shared.meta import MetaAsDict


class Ledger(Application[UUID]):
    name = "ledger"  # -> table ledger_events, LEDGER_* eventsourcing env keys
    env: ClassVar[dict[str, str]] = {}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(MetaAsDict())
