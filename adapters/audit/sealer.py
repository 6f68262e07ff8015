"""The seal follower's work: extend the hash chain over new stored events and cut signed checkpoints.

Every stored event is sealed as the bytes it is stored with (seal_format.canonical), so there is no
"odd" record to skip: an event that no code can decode any more is sealed like any other, and a
seal never passes over a position it has read. Positions missing from the store (ids of rolled-back
transactions) are not in the chain; verify recomputes it the same way, and a checkpoint's leaf list
names exactly which positions it sealed.

A checkpoint is cut after `checkpoint_events` events, or earlier once `sign_seconds` have passed
since the last one and at least one event waits (so a quiet ledger's tail is signed within the
hour); every checkpoint is signed. Crash-safe: what is not in a checkpoint is only in memory, and a
restart resumes from the last checkpoint's position and chain hash. Two sealers cannot both append
after the same checkpoint (`SealStore.append` checks the last position in its transaction).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from adapters.audit.keys import SealKey
from adapters.audit.seal_format import (GENESIS, Checkpoint, checkpoint_message, leaf_hash, merkle_root, pack_leaves,
                                        position_of)
from adapters.audit.store import SealStore

log = logging.getLogger("ledger.seal")

_FIRST_VERSION = (1).to_bytes(8, "big", signed=True)


@dataclass
class SealReport:
    checkpoints: int = 0
    events: int = 0
    position: int = 0  # last sealed position
    pending: int = 0  # events read but not yet in a checkpoint


@dataclass
class _Segment:
    after: int
    chain_hash: bytes
    read_to: int  # last position read into this segment (== after when empty)
    started_at: datetime  # when the previous checkpoint was cut (or the sealer started)
    entries: list[tuple[int, bytes]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)


def member_of(record: bytes | memoryview) -> dict[str, Any] | None:
    """The enterprise an aggregate's first event names (credit_code / enterprise_id), if any."""
    data = bytes(record)
    topic_len = int.from_bytes(data[32:36], "big")
    state = data[40 + topic_len:]
    if b'"credit_code"' not in state and b'"enterprise_id"' not in state:
        return None
    try:
        payload = orjson.loads(state)
    except orjson.JSONDecodeError:
        return None  # sealed all the same; just not indexed for proofs
    if not isinstance(payload, dict):
        return None
    code, eid = payload.get("credit_code"), payload.get("enterprise_id")
    code = code if isinstance(code, str) and len(code) <= 64 else None
    eid = eid if isinstance(eid, str) and len(eid) <= 36 else None
    if code is None and eid is None:
        return None
    import uuid

    return {"aggregate_id": str(uuid.UUID(bytes=data[8:24])), "credit_code": code, "enterprise_id": eid,
            "first_position": position_of(data)}


class Sealer:
    def __init__(self, store: SealStore, key: SealKey, clock: Callable[[], datetime], *,
                 checkpoint_events: int = 1000, sign_seconds: float = 3600.0) -> None:
        if checkpoint_events < 1:
            raise ValueError("checkpoint_events must be at least 1")
        self.store = store
        self.key = key
        self.clock = clock
        self.checkpoint_events = checkpoint_events
        self.sign_seconds = sign_seconds
        self._segment: _Segment | None = None

    def _resume(self, last: Checkpoint | None) -> _Segment:
        if last is None:
            return _Segment(0, GENESIS, 0, self.clock())
        return _Segment(last.position, last.chain_hash, last.position, _parse(last.sealed_at))

    def seal(self, stop: threading.Event | None = None, chunk: int = 20_000, *, flush: bool = False) -> SealReport:
        """Seal what is stored now; return what was done. Events short of a full segment stay
        pending (in memory) until the segment fills or `sign_seconds` pass; with `flush` (a one-off
        run: nothing keeps them in memory afterwards) they are cut into a checkpoint at once."""
        report = SealReport()
        last = self.store.last_checkpoint()
        segment = self._segment
        if segment is None or segment.after != (last.position if last else 0):
            segment = self._segment = self._resume(last)  # first run, or another sealer moved on
        try:
            for records in self.store.canonical_chunks(segment.read_to, None, chunk):
                h, n = segment.chain_hash, self.checkpoint_events
                for record in records:
                    h = hashlib.sha256(h + record).digest()
                    position = position_of(record)
                    segment.entries.append((position, leaf_hash(record)))
                    if bytes(record[24:32]) == _FIRST_VERSION and (member := member_of(record)) is not None:
                        segment.members.append(member)
                    segment.chain_hash, segment.read_to = h, position
                    if len(segment.entries) >= n:
                        segment = self._cut(segment, report)
                        h = segment.chain_hash
                if stop is not None and stop.is_set():
                    break
            if segment.entries and (flush or (self.clock() - segment.started_at).total_seconds() >= self.sign_seconds):
                segment = self._cut(segment, report)
        except _Overtaken:
            self._segment = None
            log.warning("seal: another sealer stored a checkpoint first; resuming from it")
            return report
        report.pending = len(segment.entries)
        report.position = segment.after
        return report

    def _cut(self, segment: _Segment, report: SealReport) -> _Segment:
        now = self.clock()
        sealed_at = now.astimezone(UTC).isoformat(timespec="microseconds")
        leaves = pack_leaves(segment.entries)
        root = merkle_root([e[1] for e in segment.entries])
        leaves_sha = hashlib.sha256(leaves).digest()
        position, count = segment.entries[-1][0], len(segment.entries)
        message = checkpoint_message(position, segment.after, count, segment.chain_hash, root, leaves_sha, sealed_at,
                                     self.key.key_id)
        cp = Checkpoint(position, segment.after, count, segment.chain_hash, root, leaves_sha, sealed_at,
                        self.key.key_id, self.key.sign(message))
        if not self.store.append(cp, leaves, segment.members, now):
            raise _Overtaken
        report.checkpoints += 1
        report.events += count
        report.position = position
        self._segment = _Segment(position, segment.chain_hash, position, now)
        return self._segment


class _Overtaken(Exception):
    pass


def _parse(sealed_at: str) -> datetime:
    return datetime.fromisoformat(sealed_at)
