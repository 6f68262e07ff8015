"""The closed-loop report's facts (监管信息闭环情况分析): reminders, their escalations, the supervisors
told of each, and the enforcement plan, each milestone with its log position.

A report "as of position P" compares positions (projections/supervision/closed_loop_queries.py):
a milestone whose position is <= P had happened. So the rows are written once per milestone and
never need a history of their own.

- Raised -> a reminder row (placement, kind, raising day and position).
- Escalated -> an escalation row (reminder x level: tier, respond_by, position) and a recipient row
  per supervisor told; the previous level's rows get `next_position` (it climbed unanswered).
- Responded (level L >= 1) -> the first answer to level L sets `answered_*` on the escalation and
  its recipients; the answering supervisor's own row gets `own_*` (a supervisor who answers without
  having been told gets a row with `notified` 0). An answer before any escalation (level 0) is no
  escalation figure and is not kept.
- An enforcement-plan entry added, linked or reinstated by a supervisor with a reminder counts as
  that supervisor's answer to the reminder's escalation in force (issue 11: "which then counts as
  answered"), without response days; one added by the system is no answer (it is what inaction
  leads to).
- Resolved / Closed -> `ended_position` and `ended_day` on the reminder and all its escalations.
- Added / Reinstated -> a plan stint from that position; Withdrawn -> the open stint ends there.

Timeliness of an answer is the event's own (`in_time`, `response_days`, decided when it was
recorded). Events recorded before those fields existed: in time when answered on or before the
escalation's `respond_by`; response days in calendar days. Escalations recorded before `respond_by`
existed get the seed's default, the escalation day plus `supervisor_response_days` (5) calendar
days.

Total: an event about a reminder or entry this log never raised or added, or with values of the
wrong shape, changes nothing or falls back to the defaults above; nothing here raises on data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from eventsourcing.utils import get_topic
from sqlalchemy import Table

from domain.enforcement.aggregate import EnforcementPlanEntry
from domain.reminders.aggregate import Reminder
from domain.rules.rule_set import RuleSet
from projections.base import ENVELOPE, Positioned
from projections.register.fold import region_parts
from projections.sql import business_day
from projections.store import Store
from projections.supervision import closed_loop_rollup as rollup
from projections.supervision import closed_loop_tables as t

REMINDER_EVENTS = (Reminder.Raised, Reminder.Escalated, Reminder.Responded, Reminder.Resolved, Reminder.Closed)
PLAN_EVENTS = (EnforcementPlanEntry.Added, EnforcementPlanEntry.Linked, EnforcementPlanEntry.Withdrawn,
               EnforcementPlanEntry.Reinstated)
DEFAULT_RESPONSE_DAYS = RuleSet().supervisor_response_days
OUTCOME = ("respond_by", "answered_position", "answered_in_time", "answered_days", "next_position", "ended_position",
           "ended_day", "level", "escalated_position")
LINKS = tuple(name for pair in rollup.POINTERS.values() for name in pair)
REMINDER = ("reminder_id", "credit_code", "enterprise_name", "region_code", "province_code", "city_code", "county_code",
            "industry", "supervision_level", "kind", "raised_day", "raised_position")


def escalation_key(reminder_id: str, level: int) -> str:
    return f"{reminder_id}:{level}"


def recipient_key(reminder_id: str, level: int, username: str) -> str:
    return f"{reminder_id}:{level}:{username}"


def _day(at: Any) -> date | None:
    return business_day(at) if isinstance(at, datetime) and at.tzinfo is not None else None


def _iso_day(text: Any) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _level(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1000 else None


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


class ClosedLoopFold:
    """(rows before, events) -> rows after; pure over dicts, so unit tests can drive it."""

    def __init__(self, reminders: dict[str, dict], escalations: dict[str, dict], recipients: dict[str, dict],
                 entries: dict[str, dict], stints: dict[str, dict]) -> None:
        self.reminders, self.escalations, self.recipients = reminders, escalations, recipients
        self.entries, self.stints = entries, stints
        self.days: dict[date, int] = {}
        self.changed: dict[str, set[str]] = {name: set() for name in ("r", "e", "u", "p", "s")}

    # -- keys a batch needs ---------------------------------------------------------------------------

    @staticmethod
    def reminder_ids(events: Sequence[Positioned]) -> set[str]:
        ids = {str(e.originator_id) for _, e in events if type(e) in REMINDER_EVENTS and type(e) is not Reminder.Raised}
        ids |= {e.reminder_id for _, e in events if type(e) in PLAN_EVENTS and isinstance(getattr(e, "reminder_id", None), str)}
        return ids

    @staticmethod
    def escalation_keys(events: Sequence[Positioned], reminders: Mapping[str, dict]) -> set[str]:
        """Every stored escalation of the reminders the batch touches (a few each)."""
        return {escalation_key(rid, level) for rid, row in reminders.items() for level in range(1, row["levels"] + 1)}

    @staticmethod
    def recipient_keys(escalations: Mapping[str, dict], events: Sequence[Positioned]) -> set[str]:
        keys = {recipient_key(row["reminder_id"], row["level"], name) for row in escalations.values()
                for name in row["usernames"]}
        for _, e in events:
            if type(e) is Reminder.Responded and (level := _level(e.level)) is not None:
                keys.add(recipient_key(str(e.originator_id), level, _text(e.supervisor)))
        return keys

    # -- the fold -------------------------------------------------------------------------------------

    def apply_all(self, events: Sequence[Positioned]) -> None:
        for position, e in events:
            kind = type(e)
            day = _day(getattr(e, "at", None))
            if day is not None and day not in self.days:
                self.days[day] = position
            if kind is Reminder.Raised:
                self._raised(position, e)
            elif kind is Reminder.Escalated:
                self._escalated(position, e)
            elif kind is Reminder.Responded:
                self._answered(position, str(e.originator_id), _level(e.level), _text(e.supervisor), day,
                               e.in_time, e.response_days)
            elif kind in (Reminder.Resolved, Reminder.Closed):
                self._ended(position, str(e.originator_id), kind is Reminder.Resolved, day)
            else:
                self._plan(position, e, day)

    def _raised(self, position: int, e: Any) -> None:
        key = str(e.originator_id)
        placement = e.placement if isinstance(e.placement, dict) else {}
        region = _text(placement.get("region_code"))
        province, city, county = region_parts(region)
        raised_day = _day(e.at) or date(2000, 1, 1)
        self.reminders[key] = {
            "reminder_id": key, "credit_code": _text(e.credit_code), "enterprise_name": _text(e.enterprise_name),
            "region_code": region, "province_code": province, "city_code": city, "county_code": county,
            "industry": _text(placement.get("industry")), "supervision_level": _text(placement.get("supervision_level")),
            "kind": _text(e.kind), "raised_day": raised_day, "raised_position": position, "raised_at": e.at,
            "levels": 0, "escalated_position": None, "resolved_position": None, "closed_position": None,
            "ended_day": None, "position": position, **dict.fromkeys(LINKS),
        }
        self.changed["r"].add(key)

    def _escalated(self, position: int, e: Any) -> None:
        rid, level = str(e.originator_id), _level(e.level)
        reminder = self.reminders.get(rid)
        if reminder is None or level is None:
            return
        previous = self.escalations.get(escalation_key(rid, level - 1))
        if previous is not None and previous["next_position"] is None:
            self._outcome(previous, next_position=position)
        escalated_day = _day(e.at) or reminder["raised_day"]
        respond_by = _iso_day(getattr(e, "respond_by", None)) or escalated_day + timedelta(days=DEFAULT_RESPONSE_DAYS)
        told = sorted({_text(r.get("username")) for r in e.recipients if isinstance(r, dict)} - {""}) \
            if isinstance(e.recipients, list) else []
        row = {name: reminder[name] for name in REMINDER} | {
            "escalation_key": escalation_key(rid, level), "level": level, "escalated_position": position,
            "respond_by": respond_by, "answered_position": None, "answered_in_time": None, "answered_days": None,
            "next_position": None, "ended_position": None, "ended_day": None, "tier": _text(e.tier),
            "escalated_at": e.at, "usernames": told, "open_day": None,
        }
        self.escalations[row["escalation_key"]] = row
        self.changed["e"].add(row["escalation_key"])
        for name in told:
            self._recipient(row, name, notified=1)
        reminder.update(levels=max(reminder["levels"], level), position=position)
        if reminder["escalated_position"] is None:
            reminder["escalated_position"] = position
        self.changed["r"].add(rid)

    def _recipient(self, escalation: dict, username: str, notified: int) -> dict:
        key = recipient_key(escalation["reminder_id"], escalation["level"], username)
        row = {name: escalation[name] for name in (*REMINDER, *OUTCOME)} | {
            "recipient_key": key, "username": username, "notified": notified,
            "own_position": None, "own_in_time": None, "own_days": None, "open_day": None,
        }
        self.recipients[key] = row
        self.changed["u"].add(key)
        return row

    def _outcome(self, escalation: dict, **values: Any) -> None:
        """Change an escalation's outcome, on its row and on every recipient's."""
        escalation.update(values)
        self.changed["e"].add(escalation["escalation_key"])
        for name in escalation["usernames"]:
            key = recipient_key(escalation["reminder_id"], escalation["level"], name)
            row = self.recipients.get(key)
            if row is not None:
                row.update(values)
                self.changed["u"].add(key)

    def _answered(self, position: int, rid: str, level: int | None, username: str, day: date | None,
                  in_time: Any, days: Any, *, counted: bool = True) -> None:
        """`counted`: the answer has response days (a Responded event; a plan entry has none)."""
        escalation = self.escalations.get(escalation_key(rid, level)) if level is not None else None
        if escalation is None or not username:
            return
        if not counted:
            days = None
        elif not isinstance(days, int) or isinstance(days, bool):
            days = (day - _day(escalation["escalated_at"])).days if day and _day(escalation["escalated_at"]) else None
        if not isinstance(in_time, bool):
            in_time = day is not None and day <= escalation["respond_by"]
        if escalation["answered_position"] is None:
            self._outcome(escalation, answered_position=position, answered_in_time=int(in_time), answered_days=days)
        key = recipient_key(rid, level, username)
        row = self.recipients.get(key)
        if row is None:
            escalation["usernames"] = sorted({*escalation["usernames"], username})
            self.changed["e"].add(escalation["escalation_key"])
            row = self._recipient(escalation, username, notified=0)
        if row["own_position"] is None:
            row.update(own_position=position, own_in_time=int(in_time), own_days=days)
            self.changed["u"].add(key)

    def _ended(self, position: int, rid: str, resolved: bool, day: date | None) -> None:
        reminder = self.reminders.get(rid)
        if reminder is None or reminder["ended_day"] is not None:
            return
        ended_day = day or reminder["raised_day"]
        reminder.update({"resolved_position" if resolved else "closed_position": position, "ended_day": ended_day,
                         "position": position})
        self.changed["r"].add(rid)
        for level in range(1, reminder["levels"] + 1):
            escalation = self.escalations.get(escalation_key(rid, level))
            if escalation is not None and escalation["ended_position"] is None:
                self._outcome(escalation, ended_position=position, ended_day=ended_day)

    # -- the enforcement plan ---------------------------------------------------------------------------

    def _plan(self, position: int, e: Any, day: date | None) -> None:
        key, kind = str(e.originator_id), type(e)
        entry = self.entries.get(key)
        if kind is EnforcementPlanEntry.Added:
            if entry is not None:
                return
            entry = self.entries[key] = {"entry_id": key, "stints": 0, "open": 0, "position": position}
            placement = e.placement if isinstance(e.placement, dict) else {}
            region = _text(placement.get("region_code"))
            province, city, county = region_parts(region)
            details = {"credit_code": _text(e.credit_code), "enterprise_name": _text(e.enterprise_name),
                             "region_code": region, "province_code": province, "city_code": city,
                             "county_code": county, "industry": _text(placement.get("industry")),
                             "supervision_level": _text(placement.get("supervision_level")), "period": _text(e.period)}
            self._stint(entry, position, e, day, details)
        elif entry is None:
            return
        elif kind is EnforcementPlanEntry.Withdrawn:
            stint = self.stints.get(f"{key}:{entry['stints']}")
            if entry["open"] and stint is not None:
                stint["until_position"] = position
                self.changed["s"].add(stint["stint_key"])
            entry.update(open=0, position=position)
            self.changed["p"].add(key)
        elif kind is EnforcementPlanEntry.Reinstated:
            last = self.stints.get(f"{key}:{entry['stints']}")
            if entry["open"] or last is None:
                return
            details = {name: last[name] for name in ("credit_code", "enterprise_name", "region_code", "province_code",
                                                     "city_code", "county_code", "industry", "supervision_level", "period")}
            self._stint(entry, position, e, day, details)
        elif kind is EnforcementPlanEntry.Linked:
            self._plan_answer(position, e.reminder_id, _text(e.by), day)

    def _stint(self, entry: dict, position: int, e: Any, day: date | None, details: dict) -> None:
        entry.update(stints=entry["stints"] + 1, open=1, position=position)
        self.changed["p"].add(entry["entry_id"])
        origin = _text(e.origin, "supervisor")
        reminder_id = e.reminder_id if isinstance(e.reminder_id, str) else None
        stint = details | {
            "stint_key": f"{entry['entry_id']}:{entry['stints']}", "entry_id": entry["entry_id"], "origin": origin,
            "added_by": _text(e.by), "reminder_id": reminder_id, "added_day": day or date(2000, 1, 1),
            "since_position": position, "until_position": None,
        }
        self.stints[stint["stint_key"]] = stint
        self.changed["s"].add(stint["stint_key"])
        if origin == "supervisor":
            self._plan_answer(position, reminder_id, stint["added_by"], day)

    def _plan_answer(self, position: int, reminder_id: Any, username: str, day: date | None) -> None:
        """A supervisor's plan entry for a reminder answers its escalation in force (no response days)."""
        reminder = self.reminders.get(reminder_id) if isinstance(reminder_id, str) else None
        if reminder is None or not reminder["levels"] or reminder["ended_day"] is not None:
            return
        escalation = self.escalations.get(escalation_key(reminder_id, reminder["levels"]))
        if escalation is None or escalation["next_position"] is not None:
            return
        in_time = day is not None and day <= escalation["respond_by"]
        self._answered(position, reminder_id, reminder["levels"], username, day, in_time, None, counted=False)


class ClosedLoopProjection:
    name = "closed_loop"
    version = 2  # 2: monthly roll-ups and chains (closed_loop_rollup.py)
    readable_from = 2  # version 1's tables lack the cells and links (projections/live.py)
    tables = t.TABLES
    topics = tuple(get_topic(cls) for cls in (*REMINDER_EVENTS, *PLAN_EVENTS))
    unread_fields = ENVELOPE

    def apply(self, store: Store, tables: Mapping[str, Table], events: Sequence[Positioned]) -> None:
        r_t, e_t, u_t = tables["rm_cl_reminders"], tables["rm_cl_escalations"], tables["rm_cl_recipients"]
        p_t, s_t, d_t = tables["rm_cl_plan_entries"], tables["rm_cl_plan"], tables["rm_cl_days"]
        raised = {str(e.originator_id) for _, e in events if type(e) is Reminder.Raised}
        reminders = store.fetch(r_t, "reminder_id", ClosedLoopFold.reminder_ids(events) - raised)
        escalations = store.fetch(e_t, "escalation_key", ClosedLoopFold.escalation_keys(events, reminders))
        recipients = store.fetch(u_t, "recipient_key", ClosedLoopFold.recipient_keys(escalations, events))
        entry_ids = {str(e.originator_id) for _, e in events
                     if type(e) in PLAN_EVENTS and type(e) is not EnforcementPlanEntry.Added}
        entries = store.fetch(p_t, "entry_id", entry_ids)
        stints = store.fetch(s_t, "stint_key", {f"{k}:{row['stints']}" for k, row in entries.items()})
        # The fold changes the fetched rows in place: keep what they were, to take it out of the cells.
        escalations_before = {k: dict(row) for k, row in escalations.items()}
        recipients_before = {k: dict(row) for k, row in recipients.items()}
        fold = ClosedLoopFold(*(dict(rows) for rows in (reminders, escalations, recipients, entries, stints)))
        fold.apply_all(events)
        cells: rollup.Delta = {}
        user_cells: rollup.Delta = {}
        self._chains(store, r_t, tables["rm_cl_chains"], fold, cells)
        for key in fold.changed["e"]:
            row = fold.escalations[key]
            rollup.escalation_cells(escalations_before.get(key), -1, cells)
            rollup.escalation_cells(row, 1, cells)
            row["open_day"] = rollup.open_day(row)
        for key in fold.changed["u"]:
            row = fold.recipients[key]
            rollup.recipient_cells(recipients_before.get(key), -1, user_cells)
            rollup.recipient_cells(row, 1, user_cells)
            row["open_day"] = rollup.open_day(row, recipient=True)
        for table, rows, group in ((r_t, fold.reminders, "r"), (e_t, fold.escalations, "e"), (u_t, fold.recipients, "u"),
                                   (p_t, fold.entries, "p"), (s_t, fold.stints, "s")):
            store.upsert(table, [rows[k] for k in sorted(fold.changed[group])])
        store.insert_ignore(d_t, [{"day": d, "first_position": p} for d, p in sorted(fold.days.items())])
        for table, key, delta, make in ((tables["rm_cl_cells"], "cell_key", cells, rollup.new_cell),
                                        (tables["rm_cl_user_cells"], "user_cell_key", user_cells, rollup.new_user_cell)):
            found = store.fetch(table, key, {rollup.text_key(parts) for parts in delta})
            store.upsert(table, sorted(rollup.apply_delta(found, delta, make), key=lambda row: row[key]))

    @staticmethod
    def _chains(store: Store, r_t: Table, c_t: Table, fold: ClosedLoopFold, cells: rollup.Delta) -> None:
        """Put the changed reminders into their chains, move the chains' contributions in the cells,
        and write the predecessor/successor days of every reminder whose links changed."""
        changed = [fold.reminders[k] for k in sorted(fold.changed["r"])]
        stored = store.fetch(c_t, "chain_key", {rollup.chain_key(row) for row in changed})
        chains: dict[str, dict[str, Any]] = {}
        links_before: dict[str, dict[str, Any]] = {}
        for row in changed:
            key = rollup.chain_key(row)
            chain = chains.get(key)
            if chain is None:
                old = stored.get(key)
                members = [list(m) for m in (old["members"] if old else [])]
                before = rollup.chain_links(members)
                rollup.chain_cells(old, -1, cells, before)
                links_before |= before
                chain = chains[key] = {"chain_key": key, "province_code": row["province_code"] or "",
                                       "child": rollup.child_of(row), "industry": row["industry"], "members": members}
            chain["members"] = [m for m in chain["members"] if m[3] != row["reminder_id"]] + [rollup.member_of(row)]
        links: dict[str, dict[str, Any]] = {}
        for chain in chains.values():
            chain["members"].sort(key=lambda m: (m[0], m[3]))
            after = rollup.chain_links(chain["members"])
            rollup.chain_cells(chain, 1, cells, after)
            links |= after
        moved = {rid for rid, after in links.items() if links_before.get(rid) != after}
        fold.reminders |= store.fetch(r_t, "reminder_id", moved - set(fold.reminders))
        fold.changed["r"] |= moved & set(fold.reminders)
        for rid in fold.changed["r"]:
            if rid in links:
                fold.reminders[rid].update(links[rid])
        store.upsert(c_t, [chains[k] for k in sorted(chains)])
