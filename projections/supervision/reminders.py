"""Reminders, their due messages (the dispatcher's queue) and the in-app inboxes, from the
Reminder events. One projection, so a message appears in the queue and the inbox in the same
transaction as its reminder's row.

A reminder an enforcement-plan entry names (added, linked or reinstated with it) is `planned`,
for good: a withdrawn entry does not make the scan plan it again. `first_escalated_at` is when the
supervisors were first told: automatic planning counts from it.

A message still pending when its reminder is resolved or closed is `cancelled` (a notice about a
lateness that ended is not sent); one already sent keeps its result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from eventsourcing.utils import get_topic
from sqlalchemy import Table, select

from domain.enforcement.aggregate import EnforcementPlanEntry
from domain.reminders.aggregate import Reminder
from projections.base import Positioned
from projections.store import Store
from projections.supervision import tables

EVENTS = (Reminder.Raised, Reminder.Escalated, Reminder.DeliveryRecorded, Reminder.MessageRead, Reminder.Responded,
          Reminder.Resolved, Reminder.Closed)
PLAN_EVENTS = (EnforcementPlanEntry.Added, EnforcementPlanEntry.Linked, EnforcementPlanEntry.Reinstated)
UNSENT = ("pending", "held", "capped", "retrying")


class RemindersProjection:
    name = "reminders"
    version = 3  # 2: supervisors' responses mark the escalation in force answered; 3: planned, first_escalated_at
    tables = (tables.reminders, tables.outbox, tables.inbox)
    topics = tuple(get_topic(cls) for cls in EVENTS + PLAN_EVENTS)
    unread_fields = frozenset({"timestamp", "originator_topic"})

    def apply(self, store: Store, tables_: Mapping[str, Table], events: Sequence[Positioned]) -> None:
        r_table, o_table, i_table = tables_["rm_reminders"], tables_["rm_outbox"], tables_["rm_inbox"]
        reminder_ids = {str(e.originator_id) for _, e in events if type(e) in EVENTS and type(e) is not Reminder.Raised}
        reminder_ids |= {e.reminder_id for _, e in events if type(e) in PLAN_EVENTS and isinstance(e.reminder_id, str)}
        message_ids = {e.message_id for _, e in events if type(e) in (Reminder.DeliveryRecorded, Reminder.MessageRead)}
        rows = {k: dict(v) for k, v in store.fetch(r_table, "reminder_id", reminder_ids).items()}
        outbox = {k: dict(v) for k, v in store.fetch(o_table, "message_id", message_ids).items()}
        inbox = {k: dict(v) for k, v in store.fetch(i_table, "message_id", message_ids).items()}
        ended: set[str] = set()
        touched_r: set[str] = set()
        touched_o: set[str] = set()
        touched_i: set[str] = set()
        for position, e in events:
            kind = type(e)
            if kind in PLAN_EVENTS:
                planned = e.reminder_id if isinstance(e.reminder_id, str) else None
                if planned is not None and planned in rows:  # a reminder id that names none: nothing to mark
                    rows[planned].update(planned=1, position=position)
                    touched_r.add(planned)
                continue
            key = str(e.originator_id)
            if kind is Reminder.Raised:
                rows[key] = {"reminder_id": key, "credit_code": e.credit_code, "enterprise_name": e.enterprise_name,
                             "region_code": e.placement.get("region_code", ""), "industry": e.placement.get("industry", ""),
                             "supervision_level": e.placement.get("supervision_level", ""), "kind": e.kind,
                             "cycle_key": e.cycle_key, "subject": e.subject, "basis_day": date.fromisoformat(e.basis_day),
                             "deadline": date.fromisoformat(e.deadline), "fact": e.fact, "rule_version": e.rule_version,
                             "status": "open", "escalation_level": 0, "escalated_at": None, "answered": 0,
                             "first_escalated_at": None, "planned": 0,
                             "raised_at": e.at, "ended_at": None, "position": position}
                self._queue(key, e.messages, e.at, outbox, inbox, touched_o, touched_i)
            elif key not in rows:
                continue  # a later event of a reminder raised before this projection's start: cannot happen in order
            elif kind is Reminder.Escalated:
                rows[key].update(status="escalated", escalation_level=e.level, escalated_at=e.at, answered=0)
                if rows[key]["first_escalated_at"] is None:
                    rows[key]["first_escalated_at"] = e.at
                self._queue(key, e.messages, e.at, outbox, inbox, touched_o, touched_i)
            elif kind is Reminder.DeliveryRecorded:
                row = outbox.get(e.message_id)
                if row is not None:
                    row.update(status=e.result, results=row["results"] + 1, updated_at=e.at)
                    touched_o.add(e.message_id)
            elif kind is Reminder.Responded:
                if e.level == rows[key]["escalation_level"]:
                    rows[key]["answered"] = 1  # the scan stops climbing the ladder
            elif kind is Reminder.MessageRead:
                row = inbox.get(e.message_id)
                if row is not None and row["read_at"] is None:
                    row.update(read_at=e.at, read_by=e.reader)
                    touched_i.add(e.message_id)
            else:  # Resolved or Closed
                rows[key].update(status="resolved" if kind is Reminder.Resolved else "closed", ended_at=e.at)
                ended.add(key)
            rows[key]["position"] = position
            touched_r.add(key)
        if ended:
            self._cancel_unsent(store, o_table, ended, outbox, touched_o)
        store.upsert(r_table, [rows[k] for k in sorted(touched_r)])
        store.upsert(o_table, [outbox[k] for k in sorted(touched_o)])
        store.upsert(i_table, [inbox[k] for k in sorted(touched_i)])

    @staticmethod
    def _queue(reminder_id: str, messages: list[dict[str, str]], at: Any, outbox: dict, inbox: dict,
               touched_o: set[str], touched_i: set[str]) -> None:
        for m in messages:
            outbox[m["message_id"]] = {"message_id": m["message_id"], "reminder_id": reminder_id, "channel": m["channel"],
                                       "recipient": m["recipient"], "title": m["title"], "text": m["text"], "due_at": at,
                                       "status": "pending", "results": 0, "updated_at": at}
            touched_o.add(m["message_id"])
            if m["channel"] == "inapp":
                inbox[m["message_id"]] = {"message_id": m["message_id"], "recipient": m["recipient"],
                                          "reminder_id": reminder_id, "title": m["title"], "text": m["text"],
                                          "created_at": at, "read_at": None, "read_by": None}
                touched_i.add(m["message_id"])

    @staticmethod
    def _cancel_unsent(store: Store, o_table: Table, ended: set[str], outbox: dict, touched_o: set[str]) -> None:
        stored = store.conn.execute(select(o_table).where(o_table.c.reminder_id.in_(sorted(ended)),
                                                         o_table.c.status.in_(UNSENT))).mappings()
        for row in stored:
            outbox.setdefault(row["message_id"], dict(row))
        for message_id, row in outbox.items():
            if row["reminder_id"] in ended and row["status"] in UNSENT:
                row["status"] = "cancelled"
                touched_o.add(message_id)
