"""The closed-loop report's figures of one scope as a dict, and how parts of them add up: the
report reads them in parts (fact rows, monthly cells, side by side on several connections) and
merges; medians and p90 come from response-day histograms at the end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

KINDS = ("risk_identification", "hazard_investigation", "rectification_overdue")
OUTCOMES = ("in_time", "late", "unanswered", "pending", "ended")
OUTCOME_FIGURE = {"in_time": "answered_in_time", "late": "answered_late", "ended": "ended_before_deadline"}
# A supervisor's own outcome (of the fact rows' CASE and of the cells' columns) -> their figure.
SUPERVISOR_FIGURE = OUTCOME_FIGURE | {"by_others": "answered_by_others", "unasked": "answered_unasked"}


def empty_figures() -> dict[str, Any]:
    return {"raised": 0, "raised_by_kind": dict.fromkeys(KINDS, 0), "enterprises_notified": 0,
            "enterprises_complied_before_escalation": 0, "escalations": 0, "answered_in_time": 0, "answered_late": 0,
            "unanswered": 0, "pending": 0, "ended_before_deadline": 0, "enterprises_on_plan": 0,
            "response_days_median": None, "response_days_p90": None, "_days": Counter()}


def percentile(histogram: Mapping[int, int], p: float) -> float | None:
    """PostgreSQL's percentile_cont over the values a histogram (value -> count) stands for."""
    n = sum(histogram.values())
    if n == 0:
        return None
    rank = p * (n - 1)
    lower, upper = int(rank), min(int(rank) + 1, n - 1)
    values: dict[int, float] = {}
    seen = 0
    for value in sorted(histogram):
        count = histogram[value]
        for wanted in (lower, upper):
            if seen <= wanted < seen + count:
                values[wanted] = value
        seen += count
    return round(values[lower] + (values[upper] - values[lower]) * (rank - lower), 2)


def finish(figures: dict[str, Any]) -> dict[str, Any]:
    days = figures.pop("_days")
    figures["response_days_median"] = percentile(days, 0.5)
    figures["response_days_p90"] = percentile(days, 0.9)
    return figures


def count_outcome(figures: dict[str, Any], outcome: str, n: int, days: int | None) -> None:
    figures["escalations"] += n
    figures[OUTCOME_FIGURE.get(outcome, outcome)] += n
    if days is not None:
        figures["_days"][days] += n


def merge(into: dict[str, Any], figures: dict[str, Any]) -> None:
    for key, value in figures.items():
        if key == "raised_by_kind":
            for kind, n in value.items():
                into[key][kind] = into[key].get(kind, 0) + n
        elif key == "_days":
            into[key].update(value)
        elif isinstance(value, int):
            into[key] += value


class Tally:
    """The figures of one report in total, per child region and per industry, added up as the rows
    arrive: each row (of a child x industry, or of a margin) adds to the two or three figures it
    counts in, so no figures are kept per child x industry (that merge cost more than the SQL)."""

    def __init__(self) -> None:
        self.totals = empty_figures()
        self.children: dict[str, dict[str, Any]] = {}
        self.industries: dict[str, dict[str, Any]] = {}
        self._targets: dict[tuple[str, str | None, str | None], tuple[dict[str, Any], ...]] = {}

    def of(self, child: str | None, industry: str) -> tuple[dict[str, Any], ...]:
        """The figures a row of this child region (None: no child) and industry counts in."""
        return self._cached("cross", child, industry)

    def of_child(self, child: str | None) -> tuple[dict[str, Any], ...]:
        """A margin row of one child region (over all industries): the totals and the child."""
        return self._cached("child", child, None)

    def of_industry(self, industry: str) -> tuple[dict[str, Any], ...]:
        """A margin row of one industry (over all child regions)."""
        return self._cached("industry", None, industry)

    def _cached(self, kind: str, child: str | None, industry: str | None) -> tuple[dict[str, Any], ...]:
        key = (kind, child, industry)
        found = self._targets.get(key)
        if found is None:
            targets = []
            if kind != "industry":
                targets.append(self.totals)
                if child is not None:
                    targets.append(_entry(self.children, child))
            if kind != "child":
                targets.append(_entry(self.industries, industry or ""))
            found = self._targets[key] = tuple(targets)
        return found

    def add(self, other: Tally) -> None:
        merge(self.totals, other.totals)
        for mine, theirs in ((self.children, other.children), (self.industries, other.industries)):
            for key, figures in theirs.items():
                merge(_entry(mine, key), figures)


def _entry(figures: dict[str, dict[str, Any]], key: str) -> dict[str, Any]:
    found = figures.get(key)
    if found is None:
        found = figures[key] = empty_figures()
    return found
