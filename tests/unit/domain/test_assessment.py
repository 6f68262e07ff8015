"""绩效考核: scores from documented weights, periods of a month or a quarter."""

from __future__ import annotations

from datetime import date

import pytest

from domain.reminders.assessment import AssessmentInputs, AssessmentPeriod, score
from domain.rules.rule_set import AssessmentWeights
from domain.shared.errors import InvalidValue

WEIGHTS = AssessmentWeights()  # in time 1.0, late 0.6, by others 0.8, unanswered 0.0, +2 per plan entry


@pytest.mark.parametrize(("inputs", "expected"), [
    (AssessmentInputs(4, 0, 0), 100.0),
    (AssessmentInputs(1, 1, 2), 40.0),                        # (1 + 0.6 + 0 + 0) / 4
    (AssessmentInputs(0, 0, 1, answered_by_others=1), 40.0),  # (0.8 + 0) / 2
    (AssessmentInputs(0, 0, 2, enforcement_entries=3), 6.0),  # 0 + 3 x 2 points
    (AssessmentInputs(5, 0, 0, enforcement_entries=3), 100.0),  # capped
    (AssessmentInputs(0, 0, 0, pending=3, enforcement_entries=1), None),  # nothing assessed yet
])
def test_the_score_is_the_weighted_mean_of_assessed_escalations_plus_plan_points(inputs, expected) -> None:
    assert score(inputs, WEIGHTS) == expected


def test_weights_come_from_the_rules() -> None:
    strict = AssessmentWeights(answered_late=0.0, enforcement_entry=0.0)
    assert score(AssessmentInputs(1, 1, 0), strict) == 50.0


@pytest.mark.parametrize(("text", "first", "last"), [
    ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
])
def test_a_period_is_a_month_or_a_quarter(text: str, first: date, last: date) -> None:
    period = AssessmentPeriod.parse(text)
    assert (period.first_day, period.last_day) == (first, last)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "2026", "26-12", "2026-12\x00", "2026-12\n", "", "1999-01"])
def test_a_bad_period_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        AssessmentPeriod.parse(text)
