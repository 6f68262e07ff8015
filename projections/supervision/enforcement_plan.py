"""The enforcement plan (执法计划) as a list: one row per entry (period, enterprise), from the
EnforcementPlanEntry events. A withdrawn entry keeps its row (status "withdrawn", with who, when
and why); a reinstated one is planned again with the new reason and origin.

Total: whatever an entry event in the log says, it gives a row. A missing or odd field (an event
written by hand or by an older version) is stored as empty text, a reminder id that is not text is
left out, and an entry event whose `Added` is not in these tables is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from eventsourcing.utils import get_topic
from sqlalchemy import Table

from domain.enforcement.aggregate import EnforcementPlanEntry
from projections.base import Positioned
from projections.store import Store
from projections.supervision import tables

EVENTS = (EnforcementPlanEntry.Added, EnforcementPlanEntry.Linked, EnforcementPlanEntry.Withdrawn,
          EnforcementPlanEntry.Reinstated)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _moment(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) and value.tzinfo is not None else None


def _with(reminder_ids: str, reminder_id: Any) -> str:
    """The space-separated id list with `reminder_id` appended once (only text without spaces)."""
    if not isinstance(reminder_id, str) or not reminder_id or any(c.isspace() for c in reminder_id):
        return reminder_ids
    present = reminder_ids.split()
    return reminder_ids if reminder_id in present else " ".join([*present, reminder_id])


class EnforcementPlanProjection:
    name = "enforcement_plan"
    version = 1
    tables = (tables.enforcement_plan,)
    topics = tuple(get_topic(cls) for cls in EVENTS)
    unread_fields = frozenset({"timestamp", "originator_topic", "meta"})

    def apply(self, store: Store, tables_: Mapping[str, Table], events: Sequence[Positioned]) -> None:
        table = tables_["rm_enforcement_plan"]
        keys = {str(e.originator_id) for _, e in events if type(e) is not EnforcementPlanEntry.Added}
        rows = {k: dict(v) for k, v in store.fetch(table, "entry_id", keys).items()}
        touched: set[str] = set()
        for position, e in events:
            kind = type(e)
            key = str(e.originator_id)
            if kind is EnforcementPlanEntry.Added:
                at = _moment(getattr(e, "at", None))
                if at is None:
                    continue  # no time to list it by: cannot happen through the aggregate
                placement = getattr(e, "placement", None)
                placement = placement if isinstance(placement, dict) else {}
                rows[key] = {
                    "entry_id": key, "credit_code": _text(getattr(e, "credit_code", "")),
                    "enterprise_name": _text(getattr(e, "enterprise_name", "")),
                    "region_code": _text(placement.get("region_code")), "industry": _text(placement.get("industry")),
                    "supervision_level": _text(placement.get("supervision_level")),
                    "period": _text(getattr(e, "period", "")), "status": "planned",
                    "reason": _text(getattr(e, "reason", "")), "origin": _text(getattr(e, "origin", "")),
                    "added_by": _text(getattr(e, "by", "")), "added_at": at,
                    "reminder_ids": _with("", getattr(e, "reminder_id", None)),
                    "withdrawn_reason": None, "withdrawn_by": None, "withdrawn_at": None, "position": position,
                }
            elif key not in rows:
                continue  # its Added was set aside (projections/failures.py): nothing to change
            elif kind is EnforcementPlanEntry.Linked:
                rows[key]["reminder_ids"] = _with(rows[key]["reminder_ids"], getattr(e, "reminder_id", None))
            elif kind is EnforcementPlanEntry.Withdrawn:
                rows[key].update(status="withdrawn", withdrawn_reason=_text(getattr(e, "reason", "")),
                                 withdrawn_by=_text(getattr(e, "by", "")), withdrawn_at=_moment(getattr(e, "at", None)))
            else:  # Reinstated: back on the plan; the withdrawal stays in the entry's trail
                rows[key].update(status="planned", reason=_text(getattr(e, "reason", "")),
                                 origin=_text(getattr(e, "origin", "")), withdrawn_reason=None, withdrawn_by=None,
                                 withdrawn_at=None,
                                 reminder_ids=_with(rows[key]["reminder_ids"], getattr(e, "reminder_id", None)))
            rows[key]["position"] = position
            touched.add(key)
        store.upsert(table, [rows[k] for k in sorted(touched)])
