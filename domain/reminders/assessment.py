"""绩效考核 (county seed): a score per supervisor and per region for a month or a quarter, from the
closed-loop figures and the weights of the supervision rules in force (docs/supervision.md,
"Assessment").

score = 100 x (weighted mean of the assessed escalations) + points per enforcement-plan entry,
kept in [0, 100]. An assessed escalation is one whose response deadline has passed or that was
answered: in time, late, answered by a colleague (supervisors only) or unanswered. Escalations
still within their deadline are shown but not scored. Nothing assessed: no score (None), never a
made-up 100 or 0. The inputs are returned beside the score, so nobody has to trust a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from domain.rules.rule_set import AssessmentWeights
from domain.shared.errors import InvalidValue

_PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")


@dataclass(frozen=True)
class AssessmentPeriod:
    text: str
    first_day: date
    last_day: date

    @classmethod
    def parse(cls, text: str, field: str = "period") -> AssessmentPeriod:
        """A month `2026-12` or a quarter `2026-Q4`."""
        match = _PERIOD.fullmatch(text or "")
        if match is None or not 2000 <= int(match.group(1)) <= 2100:
            raise InvalidValue(field, "must be a month YYYY-MM (2026-12) or a quarter YYYY-Qn (2026-Q4)")
        year = int(match.group(1))
        first_month = int(match.group(2)) if match.group(2) else (int(match.group(3)) - 1) * 3 + 1
        months = 1 if match.group(2) else 3
        end_year, end_month = (year + 1, 1) if first_month + months > 12 else (year, first_month + months)
        return cls(text, date(year, first_month, 1), date(end_year, end_month, 1) - timedelta(days=1))


@dataclass(frozen=True)
class AssessmentInputs:
    answered_in_time: int
    answered_late: int
    unanswered: int
    answered_by_others: int = 0
    pending: int = 0  # still within the response deadline: shown, not scored
    enforcement_entries: int = 0

    @property
    def assessed(self) -> int:
        return self.answered_in_time + self.answered_late + self.answered_by_others + self.unanswered


def score(inputs: AssessmentInputs, weights: AssessmentWeights) -> float | None:
    if inputs.assessed == 0:
        return None
    weighted = (weights.answered_in_time * inputs.answered_in_time + weights.answered_late * inputs.answered_late
                + weights.answered_by_others * inputs.answered_by_others + weights.unanswered * inputs.unanswered)
    raw = 100 * weighted / inputs.assessed + weights.enforcement_entry * inputs.enforcement_entries
    return round(min(100.0, max(0.0, raw)), 1)
