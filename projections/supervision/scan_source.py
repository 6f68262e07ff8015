"""The reminder scan's view of the read models (domain.reminders.scan.ScanSource).

Candidates are found in SQL, so a scan where nothing is due reads few rows: active enterprises
with no risk yet, or no investigation since `horizon.reported_before`, or an open reminder, or an
open hazard past its deadline. Each batch (keyset on the enterprise id) is read in one snapshot
with its open reminders and hazards, in 3 statements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import and_, exists, func, or_, select

from domain.reminders.facts import EnterpriseFacts, Evidence, OpenHazard, OpenReminder, ReminderKind
from domain.reminders.routing import SupervisorContact
from domain.reminders.scan import ScanHorizon
from projections.live import LiveTables, Snapshot

NAMES = ("scan_facts", "reminders")
OPEN = ("open", "escalated")


class ReadModelScanSource:
    def __init__(self, live: LiveTables, directory: Callable[[], list[SupervisorContact]]) -> None:
        self._live = live
        self._directory = directory
        self.as_of_position: int | None = None  # of the last batch read
        self._last_key = ""

    def supervisors(self) -> list[SupervisorContact]:
        return self._directory()

    def candidates(self, horizon: ScanHorizon, batch_size: int) -> Iterator[list[tuple[EnterpriseFacts, list[OpenReminder]]]]:
        after = self._last_key = ""
        while True:
            batch = self._live.run(NAMES, lambda snap: self._batch(snap, horizon, after, batch_size))
            if not batch:
                return
            yield batch
            if len(batch) < batch_size:
                return
            after = self._last_key

    def _batch(self, snap: Snapshot, horizon: ScanHorizon, after: str, limit: int) -> list[tuple[EnterpriseFacts, list[OpenReminder]]]:
        self.as_of_position = snap.as_of_position
        e, h, r = snap.tables["rm_scan_enterprises"], snap.tables["rm_scan_hazards"], snap.tables["rm_reminders"]
        cutoff = horizon.reported_before
        reasons = [
            and_(e.c.first_risk_at.is_(None), e.c.registered_at < cutoff),
            func.coalesce(e.c.last_investigation_at, e.c.registered_at) < cutoff,
            exists().where(r.c.credit_code == e.c.credit_code, r.c.status.in_(OPEN)),
        ]
        if horizon.rectification_on:
            reasons.append(exists().where(h.c.enterprise_id == e.c.enterprise_id, h.c.open == 1, h.c.deadline < horizon.now))
        # active ones by their reasons; deregistered ones only to close what they left open
        # keyset on the primary key: each batch is an index range, not a scan and sort of the table
        rows = [dict(m) for m in snap.conn.execute(
            select(e).where(e.c.enterprise_id > after, or_(and_(e.c.status == "active", or_(*reasons)), and_(
                e.c.status != "active", exists().where(r.c.credit_code == e.c.credit_code, r.c.status.in_(OPEN)))))
            .order_by(e.c.enterprise_id).limit(limit)).mappings()]
        if not rows:
            return []
        self._last_key = rows[-1]["enterprise_id"]
        codes = [row["credit_code"] for row in rows]
        ids = [row["enterprise_id"] for row in rows]
        reminders: dict[str, list[OpenReminder]] = defaultdict(list)
        subjects: set[str] = set()
        for m in snap.conn.execute(select(r).where(r.c.credit_code.in_(codes), r.c.status.in_(OPEN))).mappings():
            reminders[m["credit_code"]].append(OpenReminder(
                m["reminder_id"], ReminderKind(m["kind"]), m["cycle_key"], m["raised_at"], m["escalation_level"],
                m["escalated_at"], bool(m["answered"]), m["subject"], m["basis_day"], m["first_escalated_at"],
                bool(m["planned"])))
            if m["subject"]:
                subjects.add(m["subject"])
        hazards: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for m in snap.conn.execute(select(h).where(h.c.enterprise_id.in_(ids), or_(
                h.c.open == 1, h.c.hazard_id.in_(sorted(subjects))))).mappings():
            hazards[m["enterprise_id"]].append(dict(m))
        return [(_facts(row, hazards[row["enterprise_id"]]), reminders[row["credit_code"]]) for row in rows]


def _evidence(row: dict[str, Any], prefix: str) -> Evidence | None:
    at = row[f"{prefix}_at"]
    return None if at is None else Evidence(row[f"{prefix}_position"], row[f"{prefix}_topic"], at)


def _facts(row: dict[str, Any], hazards: list[dict[str, Any]]) -> EnterpriseFacts:
    open_hazards = tuple(OpenHazard(x["hazard_id"], x["hazard_code"], x["deadline"]) for x in hazards if x["open"])
    closed = tuple((x["hazard_id"], Evidence(x["closed_position"], x["closed_topic"], x["closed_at"]))
                   for x in hazards if not x["open"])
    return EnterpriseFacts(row["credit_code"], row["name"], row["region_code"], row["industry"], row["supervision_level"],
                           row["registered_at"], row["status"] == "active", _evidence(row, "first_risk"),
                           _evidence(row, "last_investigation"), open_hazards, closed)


