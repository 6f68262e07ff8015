"""The completeness check (查漏补缺, seed 2.3.3.2) and the per-table policy that acts on it, as data.

Before each exchange the rows of a batch are checked (their findings come from the conversion,
projections/ministry/conversion.py, kept on each staging row) and reported per table and field,
with counts and examples, in the exchange log. Then the table's policy decides:

- HOLD: a row with any finding is held back (not written to the front-end database). It goes
  out with the first batch after an event fixes it (its staging position moves then).
- SEND: the row is sent as it is: a value outside a code list is sent empty, text too long for its
  column was already cut in staging, and a required text column without a value is sent as ""
  (the front-end columns are NOT NULL). A required column of another type without a value cannot
  be sent: such a row is held back under either policy.

A deletion (`d`) is subject to the same rule: the ministry may only ever have seen a complete row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from projections.ministry.tables import Kind, Table

EXAMPLES = 3  # example keys kept per table, column and kind of finding


class Policy(StrEnum):
    HOLD = "hold"
    SEND = "send"


@dataclass(frozen=True, slots=True)
class TablePolicy:
    policy: Policy
    why: str


POLICIES: dict[str, TablePolicy] = {
    "jg_jgdx_qyjbxx": TablePolicy(Policy.HOLD, "an enterprise without its region, industry or status cannot be "
                                                "placed by the ministry; it goes once its register entry is fixed"),
    "jg_jgdx_qykzxx_mine": TablePolicy(Policy.HOLD, "as the enterprise table it extends"),
    "jg_jgdx_qykzxx_dangerous_chemical": TablePolicy(Policy.HOLD, "as the enterprise table it extends"),
    "jg_zfk_user_info": TablePolicy(Policy.SEND, "the ledger never holds ID or certificate numbers: holding the rows "
                                                  "back would send no personnel at all; the gaps are reported instead"),
    "jg_jgxw_check_action": TablePolicy(Policy.SEND, "only the record id is required, and it is always there"),
    "jg_ztk_jgxn_ssjygk_zxjhsj": TablePolicy(Policy.HOLD, "a plan without its id or name is of no use"),
    "jg_ztk_jgxn_ssjygk_zxjhcc": TablePolicy(Policy.HOLD, "a plan object without its enterprise is of no use"),
}


def policy_of(table: str) -> TablePolicy:
    return POLICIES.get(table, TablePolicy(Policy.HOLD, "default"))


def outgoing(table: Table, row: Mapping[str, Any], findings: Iterable[Any], policy: Policy) -> dict[str, Any] | None:
    """The business row as it is written to the front-end database, or None when held back.
    `findings` are (column, kind, ...) sequences as stored on the staging row."""
    found = list(findings)
    if found and policy is Policy.HOLD:
        return None
    out = dict(row)
    for column in table.columns:
        if column.required and out.get(column.name) in (None, ""):
            if column.kind is not Kind.VARCHAR and column.kind is not Kind.TEXT:
                return None
            out[column.name] = ""
    return out


@dataclass
class FindingSummary:
    """Findings of one batch, per column and kind: how many rows, a few example keys and values."""

    counts: dict[str, int] = field(default_factory=dict)  # "column:kind" -> rows
    examples: dict[str, list[list[Any]]] = field(default_factory=dict)  # "column:kind" -> [[cd_id, value], ...]
    rows_with_findings: int = 0
    held_back: int = 0

    def add(self, cd_id: str, findings: Iterable[Any]) -> None:
        any_found = False
        for finding in findings:
            column, kind = finding[0], finding[1]
            value = finding[2] if len(finding) > 2 else None
            key = f"{column}:{kind}"
            self.counts[key] = self.counts.get(key, 0) + 1
            shown = self.examples.setdefault(key, [])
            if len(shown) < EXAMPLES:
                shown.append([cd_id, None if value is None else str(value)[:100]])
            any_found = True
        if any_found:
            self.rows_with_findings += 1

    def as_json(self) -> dict[str, Any]:
        return {
            "rows_with_findings": self.rows_with_findings, "held_back": self.held_back,
            "by_field": [{"field": key.split(":")[0], "kind": key.split(":")[1], "rows": n, "examples": self.examples[key]}
                         for key, n in sorted(self.counts.items())],
        }

    def lines(self, table: str) -> list[str]:
        return [f"{table}.{key.split(':')[0]}: {key.split(':')[1]} in {n} rows, e.g. "
                + ", ".join(f"{k} ({v!r})" if v is not None else str(k) for k, v in self.examples[key])
                for key, n in sorted(self.counts.items())]
