"""The `ministry` projection: the staging read model the exchange copies into the front-end database.

Per batch: fold the events, one at a time, into the projection's own sources (its copy of the
enterprise register, through the register's own fold, projections/register/fold.py; users;
reminders; plan entries and periods), judging after each event whether a record's standard row
changed (its fingerprint: the mapped fields) and how (i/u/d, projections/ministry/staging.py
`Transitions`); then convert the final source of each changed record through its mapping
(projections/ministry/mappings.py) and write its staging row with the position of its last
change. So a staging row depends on the events only, never on how they were cut into batches (a
crash and a catch-up in other batches give the same rows as a clean rebuild: tests/integration/
projections/test_crash.py).

What feeds which standard table:
- jg_jgdx_qyjbxx and the industry extension tables: enterprise, risk, hazard and inspection events
  (the counters as the register counts them); a deregistration is `d`, and so is an extension row
  whose enterprise moves to an industry the table does not hold.
- jg_zfk_user_info: users registered with the supervisor role; a deactivation is `d`, a
  reactivation `i` again.
- jg_jgxw_check_action: Reminder.Responded whose measures include on_site_inspection, placed by
  the reminder it answers (Reminder.Raised) and the supervisor's bureau.
- jg_ztk_jgxn_ssjygk_zxjhsj / _zxjhcc: enforcement-plan entries (Added, Linked, Withdrawn,
  Reinstated): a withdrawal is `d` of the object row and lowers the period's object count.

Total, as every projection: a missing or odd field gives a row with that value empty (and a
finding), never an exception; an event about a record this projection never saw is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.utils import get_topic
from sqlalchemy import Table

from domain.enforcement.aggregate import EnforcementPlanEntry
from domain.enterprises.aggregate import Enterprise
from domain.hazards.aggregate import Hazard
from domain.identity.aggregate import User
from domain.inspections.aggregate import Inspection
from domain.reminders.aggregate import Reminder
from domain.reminders.facts import ReminderKind
from domain.reminders.responses import MEASURES
from domain.risks.aggregate import Risk
from domain.shared.codes import Industry
from domain.shared.regions import henan_regions
from projections.base import Positioned
from projections.ministry import mappings, staging
from projections.ministry.conversion import TableMapping, convert
from projections.register.fold import RegisterFold, RegisterState
from projections.store import Store

CHINA = ZoneInfo("Asia/Shanghai")
PROVINCE = "410000"
INSTITUTION = "河南省应急管理厅"

ENTERPRISE_EVENTS = (Enterprise.Registered, Enterprise.DetailsChanged, Enterprise.Deregistered)
RISK_EVENTS = (Risk.Identified, Risk.Upgraded, Risk.Downgraded, Risk.MeasuresRevised, Risk.Invalidated)
HAZARD_EVENTS = (Hazard.Registered, Hazard.RectificationReported, Hazard.AcceptancePassed, Hazard.AcceptanceFailed,
                 Hazard.Invalidated)
USER_EVENTS = (User.Registered, User.MobileChanged, User.Deactivated, User.Reactivated)
PLAN_EVENTS = (EnforcementPlanEntry.Added, EnforcementPlanEntry.Linked, EnforcementPlanEntry.Withdrawn,
               EnforcementPlanEntry.Reinstated)
EVENTS = (*ENTERPRISE_EVENTS, *RISK_EVENTS, *HAZARD_EVENTS, Inspection.Recorded, *USER_EVENTS,
          Reminder.Raised, Reminder.Responded, *PLAN_EVENTS)

_REGISTER = frozenset((*ENTERPRISE_EVENTS, *RISK_EVENTS, *HAZARD_EVENTS, Inspection.Recorded))
ENTERPRISE_MAPPINGS = (mappings.ENTERPRISE, mappings.MINE, mappings.DANGEROUS_CHEMICAL)
EXTENSION_MAPPINGS = (mappings.MINE, mappings.DANGEROUS_CHEMICAL)
ON_SITE = "on_site_inspection"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None if value is None or value == "" else str(value)


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) and value.tzinfo is not None else None


def _period(at: Any) -> str | None:
    """The plan period (month, China time) of a time."""
    if not isinstance(at, datetime) or at.tzinfo is None:
        return None
    day = at.astimezone(CHINA)
    return f"{day.year:04d}-{day.month:02d}"


def plan_id(period: str) -> str:
    return f"ZXJH-{PROVINCE}-{period}"


def bureau(region_code: str | None) -> str | None:
    """The supervisor's emergency-management bureau, named after its region (derived)."""
    if not region_code:
        return None
    if region_code == PROVINCE:
        return INSTITUTION
    region = henan_regions().get(region_code)
    return f"{region.name}应急管理局" if region is not None else None


def _industries_label(industries: Any) -> str | None:
    if not isinstance(industries, (list, tuple)) or not industries:
        return None
    labels = []
    for code in industries:
        try:
            labels.append(Industry(code).label_zh)
        except ValueError:
            labels.append(str(code))
    return "、".join(labels)


class MinistryProjection:
    name = "ministry"
    version = 1
    tables = staging.TABLES
    topics = tuple(get_topic(cls) for cls in EVENTS)
    unread_fields = frozenset({"timestamp", "originator_topic", "meta"})

    def apply(self, store: Store, tables: Mapping[str, Table], events: Sequence[Positioned]) -> None:
        register = [(p, e) for p, e in events if type(e) in _REGISTER]
        others = [(p, e) for p, e in events if type(e) not in _REGISTER]
        staged: list[tuple[TableMapping, dict[str, Any], str, int]] = []  # (mapping, source, operation, position)
        if register:
            staged += self._register(store, tables, register)
        if others:
            staged += self._others(store, tables, others)
        if staged:
            self._stage(store, tables["mx_staging"], staged)

    @staticmethod
    def _state(mapping: TableMapping, source: Mapping[str, Any] | None, alive: bool) -> staging.State | None:
        return None if source is None else (staging.fingerprint(mapping, source), alive)

    # --- the enterprise register -----------------------------------------------------------------

    def _register(self, store: Store, tables: Mapping[str, Table], events: Sequence[Positioned]) -> list[Any]:
        enterprise_ids: set[str] = set()
        risk_ids: set[str] = set()
        hazard_ids: set[str] = set()
        for _, e in events:
            kind = type(e)
            if kind in ENTERPRISE_EVENTS and kind is not Enterprise.Registered:
                enterprise_ids.add(str(e.originator_id))
            elif kind in RISK_EVENTS and kind is not Risk.Identified:
                risk_ids.add(str(e.originator_id))
            elif kind in HAZARD_EVENTS and kind is not Hazard.Registered:
                hazard_ids.add(str(e.originator_id))
            enterprise_id = getattr(e, "enterprise_id", None)
            if isinstance(enterprise_id, str):
                enterprise_ids.add(enterprise_id)
        found_risks = store.fetch(tables["mx_risks"], "risk_id", risk_ids)
        found_hazards = store.fetch(tables["mx_hazards"], "hazard_id", hazard_ids)
        for row in found_risks.values():  # what the fold reads of a risk and the thin table lacks
            row.setdefault("details", {})
            row.setdefault("last_reported_at", None)
        for row in found_hazards.values():
            row.setdefault("details", {})
        enterprise_ids.update(r["enterprise_id"] for r in found_risks.values())
        enterprise_ids.update(h["enterprise_id"] for h in found_hazards.values())
        found = store.fetch(tables["mx_enterprises"], "enterprise_id", enterprise_ids)
        state = RegisterState(found, found_risks, found_hazards)
        fold = RegisterFold(state)
        last = {eid: {m.table: self._enterprise_state(m, row) for m in ENTERPRISE_MAPPINGS}
                for eid, row in state.enterprises.items()}
        transitions = staging.Transitions()
        for position, e in events:  # one at a time: each record's operation is judged event by event
            fold.apply_all([(position, e)])
            eid = self._owner(e, state)
            row = state.enterprises.get(eid) if eid is not None else None
            if row is None:
                continue
            kind = type(e)
            if kind is Enterprise.Registered or kind is Enterprise.DetailsChanged:  # the register does not keep these
                values = vars(e) if kind is Enterprise.Registered else getattr(e, "changes", {}) or {}
                if not isinstance(values, dict):
                    values = {}
                for field in ("safety_officer_name", "safety_officer_mobile"):
                    if field in values or kind is Enterprise.Registered:
                        row[field] = _text(values.get(field))
                state.dirty["enterprises"].add(eid)
                row["position"] = max(row["position"], position)
            before = last.setdefault(eid, {})
            # risk, hazard and inspection events move counters and times only: the enterprise table's fields stay
            for mapping in ENTERPRISE_MAPPINGS if kind in ENTERPRISE_EVENTS else EXTENSION_MAPPINGS:
                after = self._enterprise_state(mapping, row)
                transitions.note(eid, mapping, before.get(mapping.table), after, position)
                before[mapping.table] = after
        for kind, table in (("enterprises", "mx_enterprises"), ("risks", "mx_risks"), ("hazards", "mx_hazards")):
            new, old = state.split(kind)
            if kind == "enterprises":
                for row in new:
                    row.setdefault("safety_officer_name", None)
                    row.setdefault("safety_officer_mobile", None)
            store.insert_new(tables[table], new)
            store.update_existing(tables[table], old)
        return [(mapping, state.enterprises[eid], operation, position)
                for (_, eid), (mapping, operation, position) in transitions.changes.items()]

    @staticmethod
    def _enterprise_state(mapping: TableMapping, row: Mapping[str, Any]) -> staging.State:
        alive = row.get("status") == "active" and mapping.applies_to(row)
        return (staging.fingerprint(mapping, row) if alive else None), alive

    @staticmethod
    def _owner(e: Any, state: RegisterState) -> str | None:
        """The enterprise an event of the register touches."""
        kind = type(e)
        if kind in ENTERPRISE_EVENTS:
            return str(e.originator_id)
        owner = getattr(e, "enterprise_id", None)
        if isinstance(owner, str):
            return owner
        key = str(e.originator_id)
        row = state.risks.get(key) if kind in RISK_EVENTS else state.hazards.get(key) if kind in HAZARD_EVENTS else None
        return row.get("enterprise_id") if row is not None else None

    # --- users, reminders, the enforcement plan --------------------------------------------------

    def _others(self, store: Store, tables: Mapping[str, Table], events: Sequence[Positioned]) -> list[Any]:
        table = tables["mx_sources"]
        keys: set[str] = set()
        responses = []
        for _, e in events:
            kind = type(e)
            key = str(e.originator_id)
            if kind in USER_EVENTS:
                keys.add(f"user:{key}")
            elif kind is Reminder.Responded:
                keys.add(f"reminder:{key}")
                responses.append(e)
                supervisor = getattr(e, "supervisor", None)
                if isinstance(supervisor, str):
                    keys.add(f"user:{User.create_id(supervisor)}")
            elif kind in PLAN_EVENTS:
                keys.add(f"entry:{key}")
                period = getattr(e, "period", None)
                if isinstance(period, str):
                    keys.add(f"period:{period}")
        found = store.fetch(table, "skey", keys)
        rows = {k: {"skey": k, "data": dict(v["data"]), "position": v["position"]} for k, v in found.items()}
        new: set[str] = set()
        # period keys of entries loaded only now (Withdrawn / Reinstated do not name their period),
        # and the plan entry an on-site check may belong to (its id needs the reminder's credit code)
        more = {f"period:{r['data'].get('period')}" for k, r in rows.items() if k.startswith("entry:")}
        raised = {str(e.originator_id): getattr(e, "credit_code", None) for _, e in events if type(e) is Reminder.Raised}
        for e in responses:
            reminder = rows.get(f"reminder:{e.originator_id}")
            credit_code = reminder["data"].get("credit_code") if reminder else raised.get(str(e.originator_id))
            period = _period(getattr(e, "happened_at", None))
            if isinstance(credit_code, str) and period:
                more.add(f"entry:{EnforcementPlanEntry.create_id(credit_code, period)}")
        more -= set(rows)
        if more:
            for k, v in store.fetch(table, "skey", more).items():
                rows[k] = {"skey": k, "data": dict(v["data"]), "position": v["position"]}
        tr = staging.Transitions()
        for position, e in events:
            kind = type(e)
            if kind in USER_EVENTS:
                self._user(rows, new, tr, position, e)
            elif kind is Reminder.Raised:
                self._reminder(rows, new, position, e)
            elif kind is Reminder.Responded:
                self._response(rows, new, tr, position, e)
            elif kind in PLAN_EVENTS:
                self._plan(rows, new, tr, position, e)
        touched = new | {key for _, key in tr.changes}
        written = [rows[k] for k in sorted(touched) if k in rows and not k.startswith("action:")]
        store.insert_new(table, [r for r in written if r["skey"] in new])
        store.update_existing(table, [r for r in written if r["skey"] not in new])
        return [(mapping, rows[key]["data"], operation, position)
                for (_, key), (mapping, operation, position) in tr.changes.items()]

    @staticmethod
    def _set(rows: dict[str, dict[str, Any]], new: set[str], key: str, data: dict[str, Any], position: int) -> dict[str, Any]:
        row = rows.get(key)
        if row is None:
            row = rows[key] = {"skey": key, "data": data, "position": position}
            new.add(key)
        else:
            row["data"] = data
            row["position"] = max(row["position"], position)
        return row

    def _user(self, rows: dict, new: set, tr: staging.Transitions, position: int, e: Any) -> None:
        key = f"user:{e.originator_id}"
        if type(e) is User.Registered:
            if getattr(e, "role", None) != "supervisor" or key in rows:
                return
            region = _text(getattr(e, "region_code", None))
            known = henan_regions().get(region) if region else None
            data = {
                "user_id": str(e.originator_id), "username": _text(getattr(e, "username", None)),
                "dept_name": bureau(region), "id_number": None, "cert_number": None,
                "mobile": _text(getattr(e, "mobile", None)), "region_code": region,
                "region_name": known.label.replace(" / ", "") if known is not None else None,
                "industries_label": _industries_label(getattr(e, "industries", None)),
                "province_code": PROVINCE if region else None,
                "city_code": known.city_code if known is not None else None,
                "status": "active", "registered_at": _iso(getattr(e, "at", None)),
            }
            self._set(rows, new, key, data, position)
            tr.note(key, mappings.PERSONNEL, None, self._state(mappings.PERSONNEL, data, True), position)
            return
        row = rows.get(key)
        if row is None:
            return  # not a supervisor (or never registered here)
        before = self._state(mappings.PERSONNEL, row["data"], row["data"].get("status") == "active")
        data = dict(row["data"])
        if type(e) is User.MobileChanged:
            data["mobile"] = _text(getattr(e, "mobile", None))
        elif type(e) is User.Deactivated:
            data["status"] = "deactivated"
        elif type(e) is User.Reactivated:
            data["status"] = "active"
        self._set(rows, new, key, data, position)
        tr.note(key, mappings.PERSONNEL, before, self._state(mappings.PERSONNEL, data, data["status"] == "active"),
                position)

    def _reminder(self, rows: dict, new: set, position: int, e: Any) -> None:
        key = f"reminder:{e.originator_id}"
        if key in rows:
            return
        placement = getattr(e, "placement", None)
        placement = placement if isinstance(placement, dict) else {}
        try:
            kind_label = ReminderKind(getattr(e, "kind", None)).label_zh
        except ValueError:
            kind_label = _text(getattr(e, "kind", None))
        data = {"credit_code": _text(getattr(e, "credit_code", None)),
                "enterprise_name": _text(getattr(e, "enterprise_name", None)),
                "region_code": _text(placement.get("region_code")), "kind_label": kind_label}
        self._set(rows, new, key, data, position)

    def _response(self, rows: dict, new: set, tr: staging.Transitions, position: int, e: Any) -> None:
        measures = getattr(e, "measures", None)
        if not isinstance(measures, (list, tuple)) or ON_SITE not in measures:
            return
        reminder = rows.get(f"reminder:{e.originator_id}", {"data": {}})["data"]
        supervisor = _text(getattr(e, "supervisor", None))
        user = rows.get(f"user:{User.create_id(supervisor)}", {"data": {}})["data"] if supervisor else {}
        happened = getattr(e, "happened_at", None)
        enterprise = reminder.get("enterprise_name")
        record = f"{e.originator_id}/{e.originator_version}"
        entry = None
        period = _period(happened)
        if period and reminder.get("credit_code"):
            entry = rows.get(f"entry:{EnforcementPlanEntry.create_id(reminder['credit_code'], period)}")
        data = {
            "record_id": record,
            "action_name": f"现场检查：{enterprise or ''}（{reminder.get('kind_label') or ''}提醒）",
            "dept_name": user.get("dept_name"), "enterprise_name": enterprise, "credit_code": reminder.get("credit_code"),
            "region_code": reminder.get("region_code"), "kind_label": reminder.get("kind_label"),
            "measures_label": "、".join(MEASURES.get(m, str(m)) for m in measures),
            "result": _text(getattr(e, "result", None)), "happened_at": _iso(happened), "supervisor": supervisor,
            "answered_at": _iso(getattr(e, "at", None)),
            "plan_id": entry["data"].get("plan_id") if entry and entry["data"].get("status") == "planned" else None,
        }
        key = f"action:{record}"
        rows[key] = {"skey": key, "data": data, "position": position}  # staged only, not kept as a source
        tr.note(key, mappings.CHECK_ACTION, None, self._state(mappings.CHECK_ACTION, data, True), position)

    def _plan(self, rows: dict, new: set, tr: staging.Transitions, position: int, e: Any) -> None:
        key = f"entry:{e.originator_id}"
        kind = type(e)
        if kind is EnforcementPlanEntry.Added:
            if key in rows:
                return
            period = _text(getattr(e, "period", None)) or ""
            placement = getattr(e, "placement", None)
            placement = placement if isinstance(placement, dict) else {}
            credit_code = _text(getattr(e, "credit_code", None))
            data = {
                "object_id": f"{plan_id(period)}/{credit_code}", "plan_id": plan_id(period), "period": period,
                "enterprise_name": _text(getattr(e, "enterprise_name", None)), "credit_code": credit_code,
                "region_code": _text(placement.get("region_code")), "industry": _text(placement.get("industry")),
                "reason": _text(getattr(e, "reason", None)), "origin": _text(getattr(e, "origin", None)),
                "added_at": _iso(getattr(e, "at", None)), "status": "planned",
            }
            self._set(rows, new, key, data, position)
            before = None
            self._count(rows, new, tr, period, +1, position, _iso(getattr(e, "at", None)))
        else:
            row = rows.get(key)
            if row is None:
                return
            before = self._state(mappings.SPECIAL_PLAN_OBJECT, row["data"], row["data"].get("status") == "planned")
            data = dict(row["data"])
            if kind is EnforcementPlanEntry.Withdrawn and data["status"] == "planned":
                data["status"] = "withdrawn"
                self._count(rows, new, tr, data["period"], -1, position, None)
            elif kind is EnforcementPlanEntry.Reinstated and data["status"] == "withdrawn":
                data["status"] = "planned"
                data["reason"] = _text(getattr(e, "reason", None))
                data["origin"] = _text(getattr(e, "origin", None))
                self._count(rows, new, tr, data["period"], +1, position, None)
            else:
                return  # Linked: nothing the standard carries
            self._set(rows, new, key, data, position)
        data = rows[key]["data"]
        tr.note(key, mappings.SPECIAL_PLAN_OBJECT, before,
                self._state(mappings.SPECIAL_PLAN_OBJECT, data, data["status"] == "planned"), position)

    def _count(self, rows: dict, new: set, tr: staging.Transitions, period: str, delta: int, position: int,
               added_at: str | None) -> None:
        key = f"period:{period}"
        row = rows.get(key)
        before = self._state(mappings.SPECIAL_PLAN, row["data"], True) if row is not None else None
        data = dict(row["data"]) if row is not None else {
            "plan_id": plan_id(period), "plan_name": f"{period} 双重预防专项执法计划", "period": period,
            "institution": INSTITUTION, "region_code": PROVINCE, "planned": 0, "first_added_at": added_at,
        }
        data["planned"] = max(0, int(data.get("planned") or 0) + delta)
        self._set(rows, new, key, data, position)
        tr.note(key, mappings.SPECIAL_PLAN, before, self._state(mappings.SPECIAL_PLAN, data, True), position)

    # --- staging ---------------------------------------------------------------------------------

    @staticmethod
    def _stage(store: Store, table: Table, staged: list[tuple[TableMapping, dict[str, Any], str, int]]) -> None:
        rows: dict[str, dict[str, Any]] = {}
        for mapping, source, operation, position in staged:
            row = staging.staging_row(mapping, convert(mapping, source), operation, position)
            if row is not None:
                rows[row["skey"]] = row
        previous = store.fetch(table, "skey", rows)
        store.insert_new(table, [r for k, r in rows.items() if k not in previous])
        store.update_existing(table, [r for k, r in rows.items() if k in previous])
