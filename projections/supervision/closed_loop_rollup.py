"""Roll-ups of the closed-loop facts at the read model's own position, so a province's report
over whole months adds up a few hundred cells instead of aggregating a year of fact rows.

Why this shape: at the province the report groups by city x industry, and a year holds ~150,000
reminders, ~70,000 escalations and ~130,000 supervisor rows; any roll-up keyed by that cross
product and a day or month is nearly as large as the facts. The report's outputs are margins
(per child region, per industry, totals), so the cells are margins too: per (child | industry,
kind or all kinds, unit) and per (supervisor, unit), where a unit is a month or a quarter of
raising (every contribution goes to both; a period reads whole quarters and the months around
them). Everything in a cell is additive:

- raised reminders (in the all-kinds cells also per kind), and decided escalation outcomes (in
  time / late / unanswered / ended) with a histogram of response days. An escalation still open
  (no answer, not climbed, not ended) is in no cell: whether it is pending or unanswered depends
  on the day the report is judged on, so the report reads those few rows themselves (`open_day`,
  an index of only the open rows).
- distinct enterprises, made additive by chains: the reminders of one enterprise in one child
  region and industry, in raising-day order (a chain per family: all kinds, the reminder's own
  kind; and the same two among reminders that complied before escalation). An enterprise counts
  in [from, to] iff exactly one of its reminders there has its chain predecessor before `from` (or
  none). A cell keeps, per family, how many of its reminders have their predecessor k months
  before the unit's first month ("n": none; 0: within the unit); over whole months that count is
  exact, and the report corrects a period that starts mid-month from the fact rows, which carry
  each reminder's predecessor and successor day.

Cells describe the current position only: a report as of an earlier position reads the facts
(projections/supervision/closed_loop_queries.py). Each batch subtracts what the rows it changes
contributed before and adds what they contribute after, so the cells equal a fold from scratch
(tests/integration/projections/test_closed_loop_rollup.py compares both ways of reporting).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from projections.supervision.closed_loop_figures import KINDS

FAMILIES = ("first_any", "first_kind", "comp_any", "comp_kind")
POINTERS = {"first_any": ("prev_any", "next_any"), "first_kind": ("prev_kind", "next_kind"),
            "comp_any": ("prev_comp_any", "next_comp_any"), "comp_kind": ("prev_comp_kind", "next_comp_kind")}
ALL = ""  # the kind of the cells over all kinds
RAISED_BY_KIND = {kind: f"raised_{n}" for n, kind in enumerate(KINDS)}  # columns of the all-kinds cells
COUNTS = ("raised", *RAISED_BY_KIND.values(), "in_time", "late", "unanswered", "ended")
USER_COUNTS = ("received", "in_time", "late", "by_others", "unanswered", "ended", "unasked")
NONE = "n"  # a reminder with no predecessor in its chain

Delta = dict[tuple[str, ...], dict[str, Any]]  # cell key parts -> field -> int | Counter


def month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def units_of(day: date) -> tuple[str, str]:
    """The cells' time units a raising day counts in: its month ("2025-03") and quarter ("2025-Q1"),
    so a year is read from 4 quarter cells instead of 12 month cells (closed_loop_fast.units)."""
    return f"{day.year:04d}-{day.month:02d}", f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def unit_start(unit: str) -> int:
    """The month number of a unit's first month."""
    year, rest = int(unit[:4]), unit[5:]
    return year * 12 + ((int(rest[1:]) - 1) * 3 if rest.startswith("Q") else int(rest) - 1)


def child_of(row: Mapping[str, Any]) -> str:
    """The province report's child: the city, or the county a province manages directly ("" none)."""
    return row["city_code"] if row["city_code"] is not None else (row["county_code"] or "")


def chain_key(row: Mapping[str, Any]) -> str:
    return text_key((row["province_code"] or "", child_of(row), row["industry"], row["credit_code"]))


def text_key(parts: tuple[str, ...]) -> str:
    """A chain's or cell's primary key (the row cache reads back by one text column), never parsed
    back; joined by the unit separator, which no accepted input contains."""
    return "\x1f".join(parts)


def complied(row: Mapping[str, Any]) -> bool:
    """Resolved without ever being escalated (at the read model's position)."""
    return row["resolved_position"] is not None and row["escalated_position"] is None


def member_of(row: Mapping[str, Any]) -> list[Any]:
    """What a chain keeps of a reminder: [raising day, kind, complied (0/1), reminder id]."""
    return [row["raised_day"].isoformat(), row["kind"], int(complied(row)), row["reminder_id"]]


# -- chains ---------------------------------------------------------------------------------------------


def chain_links(members: Iterable[list[Any]]) -> dict[str, dict[str, date | None]]:
    """Per reminder id: its predecessor's and successor's raising day in each family (None: none)."""
    ordered = sorted(members, key=lambda m: (m[0], m[3]))
    links: dict[str, dict[str, date | None]] = {m[3]: dict.fromkeys(
        (name for pair in POINTERS.values() for name in pair)) for m in ordered}
    subsets: dict[str, dict[Any, list[list[Any]]]] = {family: defaultdict(list) for family in FAMILIES}
    for m in ordered:
        subsets["first_any"][None].append(m)
        subsets["first_kind"][m[1]].append(m)
        if m[2]:
            subsets["comp_any"][None].append(m)
            subsets["comp_kind"][m[1]].append(m)
    for family, groups in subsets.items():
        prev_name, next_name = POINTERS[family]
        for chain in groups.values():
            for before, after in zip(chain, chain[1:]):
                links[after[3]][prev_name] = date.fromisoformat(before[0])
                links[before[3]][next_name] = date.fromisoformat(after[0])
    return links


def chain_cells(chain: Mapping[str, Any] | None, sign: int, delta: Delta,
                links: dict[str, dict[str, date | None]] | None = None) -> None:
    """Add (sign 1) or take away (sign -1) what a chain's reminders contribute to the cells: in the
    all-kinds cells (kind "") the chains of all kinds, in the reminder's kind's cells its kind's."""
    if not chain or not chain["members"]:
        return
    province, child, industry = chain["province_code"], chain["child"], chain["industry"]
    links = links if links is not None else chain_links(chain["members"])
    for m in chain["members"]:
        day = date.fromisoformat(m[0])
        own = links[m[3]]
        for unit in units_of(day):
            for kind, (first, complied) in _kinds(m[1], ("first_any", "comp_any"), ("first_kind", "comp_kind")):
                for key in _region_cells(province, child, industry, kind, unit):
                    _add(delta, key, "raised", sign)
                    if kind == ALL and m[1] in RAISED_BY_KIND:
                        _add(delta, key, RAISED_BY_KIND[m[1]], sign)
                    _add_to(delta, key, "firsts", _back(unit, own[POINTERS[first][0]]), sign)
                    if m[2]:
                        _add_to(delta, key, "complied_firsts", _back(unit, own[POINTERS[complied][0]]), sign)


def _kinds(kind: str, every: Any, own: Any) -> list[tuple[str, Any]]:
    """The cells a reminder of `kind` counts in: all kinds, and its kind's (unless it has none)."""
    return [(ALL, every), (kind, own)] if kind != ALL else [(ALL, every)]


def _back(unit: str, prev: date | None) -> str:
    """How many months before the unit's first month the predecessor was raised (0: in the unit)."""
    return NONE if prev is None else str(max(unit_start(unit) - month_number(prev), 0))


# -- escalations and supervisors ------------------------------------------------------------------------


def escalation_outcome(row: Mapping[str, Any]) -> str | None:
    """The decided outcome at the read model's position, or None while open (see the module)."""
    if row["answered_position"] is not None:
        return "in_time" if row["answered_in_time"] == 1 else "late"
    if row["next_position"] is not None:
        return "unanswered"
    if row["ended_position"] is not None:
        return "unanswered" if row["ended_day"] > row["respond_by"] else "ended"
    return None


def escalation_cells(row: Mapping[str, Any] | None, sign: int, delta: Delta) -> None:
    if row is None or (outcome := escalation_outcome(row)) is None:
        return
    province, child = row["province_code"] or "", child_of(row)
    for key in [key for unit in units_of(row["raised_day"]) for kind, _ in _kinds(row["kind"], None, None)
                for key in _region_cells(province, child, row["industry"], kind, unit)]:
        _add(delta, key, outcome, sign)
        if outcome in ("in_time", "late") and row["answered_days"] is not None:
            _add_to(delta, key, "days", str(row["answered_days"]), sign)


def recipient_outcome(row: Mapping[str, Any]) -> str | None:
    """A supervisor's own outcome ("unasked" for an answer without being told), or None while open."""
    if not row["notified"]:
        return "unasked" if row["own_position"] is not None else None
    if row["own_position"] is not None:
        return "in_time" if row["own_in_time"] == 1 else "late"
    if row["answered_position"] is not None:
        return "by_others"
    return escalation_outcome(row)


def recipient_cells(row: Mapping[str, Any] | None, sign: int, delta: Delta) -> None:
    if row is None or (outcome := recipient_outcome(row)) is None:
        return
    for unit in units_of(row["raised_day"]):
        key = (row["province_code"] or "", row["username"], unit)
        _add(delta, key, outcome, sign)
        if outcome != "unasked":
            _add(delta, key, "received", sign)
        if row["own_position"] is not None and row["own_days"] is not None:
            _add_to(delta, key, "days", str(row["own_days"]), sign)


def open_day(row: Mapping[str, Any], *, recipient: bool = False) -> date | None:
    """The raising day of a row in no cell (its outcome waits on the judging day), else None."""
    outcome = recipient_outcome(row) if recipient else escalation_outcome(row)
    return row["raised_day"] if outcome is None and (not recipient or row["notified"]) else None


# -- applying deltas ------------------------------------------------------------------------------------


def new_cell(parts: tuple[str, ...]) -> dict[str, Any]:
    dim, province, member, kind, unit = parts
    return {"cell_key": text_key(parts), "dim": dim, "province_code": province, "member": member, "kind": kind, "unit": unit,
            **dict.fromkeys(COUNTS, 0), "days": {}, "firsts": {}, "complied_firsts": {}}


def new_user_cell(parts: tuple[str, ...]) -> dict[str, Any]:
    province, username, unit = parts
    return {"user_cell_key": text_key(parts), "province_code": province, "username": username, "unit": unit,
            **dict.fromkeys(USER_COUNTS, 0), "days": {}}


def apply_delta(cells: dict[str, dict[str, Any]], delta: Delta, make: Any) -> list[dict[str, Any]]:
    """Cells (fetched, keyed by text key) plus the delta; returns the cells that changed, as whole rows."""
    changed = []
    for parts, fields in delta.items():
        if not any(value for value in fields.values()):
            continue
        key = text_key(parts)
        cell = cells.get(key) or make(parts)
        cells[key] = cell
        for name, value in fields.items():
            if isinstance(value, Counter):
                histogram = dict(cell[name] or {})
                for bucket, n in value.items():
                    histogram[bucket] = histogram.get(bucket, 0) + n
                cell[name] = {k: n for k, n in sorted(histogram.items()) if n}
            else:
                cell[name] += value
        changed.append(cell)
    return changed


def _region_cells(province: str, child: str, industry: str, kind: str, unit: str) -> tuple[tuple[str, ...], ...]:
    return ("child", province, child, kind, unit), ("industry", province, industry, kind, unit)


def _add(delta: Delta, key: tuple[str, ...], field: str, n: int) -> None:
    fields = delta.get(key)
    if fields is None:
        fields = delta[key] = {}
    fields[field] = fields.get(field, 0) + n


def _add_to(delta: Delta, key: tuple[str, ...], field: str, bucket: str, n: int) -> None:
    fields = delta.get(key)
    if fields is None:
        fields = delta[key] = {}
    histogram = fields.get(field)
    if histogram is None:
        histogram = fields[field] = Counter()
    histogram[bucket] += n
