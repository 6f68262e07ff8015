"""`audit_index`: one row per event of the whole log, so an auditor's history query narrowed by
enterprise, actor, type or recorded time reads an index instead of scanning the log.

Each row: the event's position, aggregate id and version, its type (`Risk.Upgraded`), the credit
code of the enterprise it belongs to (if any), and the attribution of its `Meta` (actor, channel,
request id, recorded time). The events themselves stay in the event store; the history door reads
them there by position (adapters/persistence/event_reader.py), so nothing here needs to keep
every field.

Which enterprise an aggregate belongs to. A creating event names it, by credit code (Enterprise,
Reminder, EnforcementPlanEntry, Subscription, an enterprise's User) or by the enterprise's
aggregate id (Risk, Hazard, Inspection: `enterprise_id`); later events name only their own
aggregate. So the projection keeps its own map aggregate -> credit code (`rm_audit_owners`), as
the activity projection keeps its risk owners: a projection reads only its own tables.

Total: the topics are every event class of the domain (`ALL_TOPICS`, found by walking the
aggregates' event classes), and an event of any shape gives a row; what it lacks (no meta, no
enterprise) is NULL. An aggregate whose enterprise is not in this log has no credit code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import get_topic
from sqlalchemy import BigInteger, Column, Index, Integer, String, Table

import domain.services  # noqa: F401 - imports every aggregate module, so their event classes exist
from projections.base import Positioned
from projections.schema import ID, Time, metadata
from projections.store import Store

audit_events = Table(
    "rm_audit_events",
    metadata,
    Column("position", BigInteger, primary_key=True),
    Column("aggregate_id", ID, nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(100), nullable=False),  # Risk.Upgraded (the event class's qualified name)
    Column("credit_code", String(18)),
    Column("actor", String(200)),
    Column("channel", String(20)),
    Column("request_id", String(128)),
    Column("recorded_at", Time),
    Index("ix_rm_audit_events_credit_code", "credit_code", "position"),
    Index("ix_rm_audit_events_actor", "actor", "position"),
    Index("ix_rm_audit_events_type", "type", "position"),
    Index("ix_rm_audit_events_request", "request_id"),
    Index("ix_rm_audit_events_recorded", "recorded_at"),
)

audit_owners = Table(
    "rm_audit_owners",
    metadata,
    Column("aggregate_id", ID, primary_key=True),
    Column("credit_code", String(18), nullable=False),
)


def _event_classes(base: type) -> Iterable[type]:
    for sub in base.__subclasses__():
        yield sub
        yield from _event_classes(sub)


def domain_topics() -> tuple[str, ...]:
    """Every event class of the domain's aggregates (the decorated methods' classes included)."""
    return tuple(sorted({get_topic(cls) for cls in _event_classes(CanMutateAggregate)
                         if cls.__module__.startswith("domain.")}))


ALL_TOPICS = domain_topics()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def owner_of(event: Any, owners: Mapping[str, str]) -> str | None:
    """The credit code an event's aggregate belongs to: known already, or named by the event."""
    aggregate = str(event.originator_id)
    known = owners.get(aggregate)
    if known is not None:
        return known
    code = _text(getattr(event, "credit_code", None))
    if code is not None:
        return code[:18]
    enterprise = getattr(event, "enterprise_id", None)
    return owners.get(str(enterprise)) if enterprise is not None else None


def fold(events: Sequence[Positioned], owners: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """(index rows, owners this batch introduced); `owners` is updated in place. Pure."""
    rows: list[dict[str, Any]] = []
    new: dict[str, str] = {}
    for position, event in events:
        aggregate = str(event.originator_id)
        code = owner_of(event, owners)
        if code is not None and aggregate not in owners:
            owners[aggregate] = new[aggregate] = code
        meta = getattr(event, "meta", None)
        recorded = getattr(meta, "recorded_at", None)
        rows.append({
            "position": position, "aggregate_id": aggregate, "version": int(event.originator_version),
            "type": type(event).__qualname__[:100], "credit_code": code,
            "actor": _text(getattr(meta, "actor", None)), "channel": _text(getattr(meta, "channel", None)),
            "request_id": _text(getattr(meta, "request_id", None)),
            "recorded_at": recorded if getattr(recorded, "tzinfo", None) is not None else None,
        })
    return rows, new


class AuditIndexProjection:
    name = "audit_index"
    version = 1
    tables = (audit_events, audit_owners)
    topics = ALL_TOPICS
    # Reads the meta; the library's timestamp and the aggregate topic it does not.
    unread_fields = frozenset({"timestamp", "originator_topic"})

    def apply(self, store: Store, tables: Mapping[str, Table], events: Sequence[Positioned]) -> None:
        index, owners_table = tables["rm_audit_events"], tables["rm_audit_owners"]
        wanted = {str(e.originator_id) for _, e in events}
        wanted |= {str(e.enterprise_id) for _, e in events if getattr(e, "enterprise_id", None) is not None}
        owners = {k: r["credit_code"] for k, r in store.fetch(owners_table, "aggregate_id", wanted).items()}
        rows, new = fold(events, owners)
        store.insert_ignore(owners_table, [{"aggregate_id": k, "credit_code": v} for k, v in sorted(new.items())])
        store.insert_new(index, rows)
