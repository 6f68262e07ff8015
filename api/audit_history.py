"""What the auditor's doors (REST api/rest/audit.py and `ledger audit`, api/audit_cli.py) share:
events as auditors see them, the history across aggregates, and an aggregate's state as of a
position or a time.

History. The audit index (projections/audit_history) finds the positions matching a filter; the
events are then read from the event store by position, so what is shown of an event is what the
log holds, never a read model's copy. Each row names the interface call that produced it: the
call-log entry with the event's request id (`call_log_id`), when the call was logged (enterprise
interface calls and calls with a client token are; an admin's or supervisor's session calls and
the scheduler's commands are not).

The index is a read model and lags the log (by the projection worker's poll, normally under a
second; more while it is stopped or catching up): an answer is complete up to `indexed_through`,
and says so together with the head.

State as of. An aggregate's state is its events replayed up to a version (the library's
`repository.get(id, version=v)`). Which version:
- `at_position` P: the last event at a log position <= P;
- `at_time` T: recorded time, the ledger's clock when it accepted the command (`Meta.recorded_at`):
  the last event recorded at or before T;
- `at_business_time` T: business time, the time the client stated for what happened (`at`, e.g. a
  hazard's found_at): the state after the longest run of events from the first whose business
  times are all <= T (a later event backdated below T is not applied out of order: an aggregate
  is replayed in version order or not at all). An event without a business time is taken at its
  recorded time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from api.bootstrap import Services
from domain.shared.errors import NotFound
from domain.shared.meta import Meta
from projections.audit_history.queries import AuditHistory, HistoryFilter, IndexedEvent

HIDDEN = {"originator_id", "originator_topic", "originator_version", "timestamp", "meta", "at", "password_hash"}


def hidden(name: str) -> bool:
    """Envelope fields (shown separately) and a password's hash. A client secret's hash stays
    visible: auditors check that only the hash of a high-entropy secret was ever recorded."""
    return name in HIDDEN


def plain(value: Any) -> Any:
    """JSON-ready: times as ISO text, ids as text, containers walked."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def event_view(position: int, version: int, topic: str, event: Any) -> dict[str, Any]:
    """An event as auditors see it (the fields of api.schemas.audit.AuditEvent)."""
    meta: Meta | None = getattr(event, "meta", None)
    at = getattr(event, "at", None)
    return {
        "position": position, "version": version, "type": topic.rsplit(":", 1)[-1], "topic": topic,
        "business_time": at.isoformat() if hasattr(at, "isoformat") else None,
        "recorded_at": meta.recorded_at.isoformat() if isinstance(meta, Meta) else None,
        "metadata": {k: plain(v) for k, v in meta.as_dict().items()} if isinstance(meta, Meta) else None,
        "data": {k: plain(v) for k, v in vars(event).items() if not hidden(k)},
    }


# --- history across aggregates --------------------------------------------------------------------


@dataclass
class History:
    items: list[dict[str, Any]]
    next_after_position: int | None
    indexed_through: int
    head: int


def history(services: Services, f: HistoryFilter, after_position: int, limit: int) -> History:
    """One page of the history in log order (module doc)."""
    head = services.events.head()
    page = AuditHistory(services.engine).page(f, after_position, limit)
    items = rows_of(services, page.rows)
    return History(items, page.rows[-1].position if page.has_next and page.rows else None, page.indexed_through, head)


def history_rows(services: Services, f: HistoryFilter, after_position: int = 0) -> Iterator[dict[str, Any]]:
    """Every matching event, a page of the index at a time (exports)."""
    for page in AuditHistory(services.engine).pages(f, after_position):
        yield from rows_of(services, page.rows)


def rows_of(services: Services, found: list[IndexedEvent]) -> list[dict[str, Any]]:
    events = services.events.events_at(r.position for r in found)
    calls = services.call_log.ids_by_request([r.request_id for r in found if r.request_id])
    items = []
    for r in found:
        stored = events.get(r.position)
        if stored is None:  # the index names a position the log no longer has (the seal's `verify` says more)
            continue
        view = event_view(stored.position, stored.version, stored.topic, stored.event)
        meta = view["metadata"] or {}
        items.append(view | {
            "aggregate_id": r.aggregate_id, "credit_code": r.credit_code, "actor": meta.get("actor"),
            "channel": meta.get("channel"), "request_id": meta.get("request_id"),
            "correlation_id": meta.get("correlation_id"), "causation_id": meta.get("causation_id"),
            "call_log_id": calls.get(meta.get("request_id") or ""),
        })
    return items


def call_events(services: Services, call_log_id: int) -> list[dict[str, Any]]:
    """The events recorded by the call the call-log entry logs (same request id), in log order."""
    entry = services.call_log.get(call_log_id)
    if entry is None:
        raise NotFound(f"no call-log entry {call_log_id}")
    if not entry["request_id"]:
        return []
    return rows_of(services, AuditHistory(services.engine).by_request([entry["request_id"]]))


# --- state as of ------------------------------------------------------------------------------------


class AsOfRefused(ValueError):
    """More than one of position / time / business time was given."""


def _recorded(event: Any) -> datetime | None:
    meta = getattr(event, "meta", None)
    return meta.recorded_at if isinstance(meta, Meta) else getattr(event, "timestamp", None)


def _business(event: Any) -> datetime | None:
    at = getattr(event, "at", None)
    return at if isinstance(at, datetime) else _recorded(event)


def aggregate_state(services: Services, aggregate_id: UUID, *, at_position: int | None = None,
                    at_time: datetime | None = None, at_business_time: datetime | None = None) -> dict[str, Any]:
    """The aggregate's state as of a position, a recorded time or a business time (module doc);
    none given: as of now. NotFound when it has no events, or none yet at that point."""
    given = {k: v for k, v in (("at_position", at_position), ("at_time", at_time),
                                ("at_business_time", at_business_time)) if v is not None}
    if len(given) > 1:
        raise AsOfRefused(f"give one of at_position, at_time, at_business_time, not {' and '.join(given)}")
    events = services.events.aggregate_events(aggregate_id)
    if not events:
        raise NotFound(f"no aggregate {aggregate_id}")
    chosen = None
    for e in events:
        if at_position is not None and e.position > at_position:
            break
        if at_time is not None and ((t := _recorded(e.event)) is None or t > at_time):
            break
        if at_business_time is not None and ((t := _business(e.event)) is None or t > at_business_time):
            break
        chosen = e
    if chosen is None:
        point = next(iter(given.items()))
        raise NotFound(f"aggregate {aggregate_id} did not exist yet at {point[0]}={plain(point[1])} "
                       f"(its first event is at position {events[0].position})")
    aggregate = services.ledger.repository.get(aggregate_id, version=chosen.version)
    state = {k: plain(v) for k, v in vars(aggregate).items() if not k.startswith("_") and not hidden(k)}
    at = getattr(chosen.event, "at", None)
    recorded = _recorded(chosen.event)
    return {
        "aggregate_id": str(aggregate_id), "type": type(aggregate).__name__, "version": chosen.version,
        "position": chosen.position, "recorded_at": recorded.isoformat() if recorded else None,
        "business_time": at.isoformat() if isinstance(at, datetime) else None,
        "as_of": {k: plain(v) for k, v in given.items()} or {"head": services.events.head()},
        "current_version": events[-1].version, "state": state,
    }
