"""绩效考核 in GraphQL: scores per region (and its children) and per supervisor for a month or a
quarter, with every input beside the score and the rule version whose weights made it.

The inputs are the closed-loop figures of the reminders raised in the period (the closed-loop
report's definitions, docs/supervision.md); the score is domain/reminders/assessment.py. A
region's enforcement entries are those its supervisors recorded (a system entry is the sign of
an unanswered escalation, never a merit).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.scalars import JSON
from strawberry.types import Info

from api.graphql.context import GraphQLContext
from api.graphql.schema import bad_input, check_region, read
from domain.reminders.assessment import AssessmentInputs, AssessmentPeriod, score
from domain.reminders.days import end_of
from domain.rules.rule_set import AssessmentWeights
from domain.shared.errors import InvalidValue
from projections.scope import ReadScope
from projections.supervision.closed_loop_queries import ClosedLoopQuery, ClosedLoopReads

MAX_SUPERVISORS = 500


@strawberry.type(description="what a score is made of (escalations of reminders raised in the period)")
class AssessmentInputsView:
    answered_in_time: int
    answered_late: int
    answered_by_others: int = strawberry.field(description="a colleague answered (supervisors only)")
    unanswered: int
    pending: int = strawberry.field(description="still within the response deadline: shown, not scored")
    enforcement_entries: int = strawberry.field(description="enforcement-plan entries recorded by supervisors")
    assessed: int = strawberry.field(description="escalations scored")

    @classmethod
    def of(cls, inputs: AssessmentInputs) -> AssessmentInputsView:
        return cls(answered_in_time=inputs.answered_in_time, answered_late=inputs.answered_late,
                   answered_by_others=inputs.answered_by_others, unanswered=inputs.unanswered, pending=inputs.pending,
                   enforcement_entries=inputs.enforcement_entries, assessed=inputs.assessed)


@strawberry.type
class RegionAssessment:
    code: str
    name: str
    level: str
    score: float | None = strawberry.field(description="0-100; null: nothing to assess in the period")
    inputs: AssessmentInputsView


@strawberry.type
class SupervisorAssessment:
    username: str
    score: float | None = strawberry.field(description="0-100; null: nothing to assess in the period")
    inputs: AssessmentInputsView


@strawberry.type(description="绩效考核 for a region and a month or quarter")
class Assessment:
    period: str
    rule_version: int = strawberry.field(description="the supervision rules whose weights made the scores")
    weights: JSON
    as_of_position: int
    judged_on: str = strawberry.field(description="the business day deadlines were judged on")
    region: RegionAssessment
    children: list[RegionAssessment] = strawberry.field(description="one administrative level down")
    supervisor_rows: strawberry.Private[list[SupervisorAssessment]]

    @strawberry.field(description="per supervisor, lowest score first (no score last)")
    def supervisors(self, first: int = 100) -> list[SupervisorAssessment]:
        if not 1 <= first <= MAX_SUPERVISORS:
            raise bad_input(f"'first' must be between 1 and {MAX_SUPERVISORS}", "first")
        return self.supervisor_rows[:first]


def _supervisor_inputs(row: dict[str, Any]) -> AssessmentInputs:
    return AssessmentInputs(row["answered_in_time"], row["answered_late"], row["unanswered"],
                            row["answered_by_others"], row["pending"], row["plan_entries"])


def _region_inputs(figures: dict[str, Any], entries: int) -> AssessmentInputs:
    return AssessmentInputs(figures["answered_in_time"], figures["answered_late"], figures["unanswered"], 0,
                            figures["pending"], entries)


def assess(reads: ClosedLoopReads, region_code: str, period: AssessmentPeriod, weights: AssessmentWeights,
           now: datetime, scope: ReadScope) -> dict[str, Any]:
    """The report, the per-supervisor figures of the region and of each child (for the entries)."""
    q = ClosedLoopQuery(region_code, period.first_day, period.last_day)
    report = reads.report(q, now, scope, first=1)
    pinned = ClosedLoopQuery(region_code, period.first_day, period.last_day, as_of_position=report["as_of_position"],
                             judged_on=datetime.fromisoformat(report["judged_on"]).date())
    people = reads.by_supervisor(pinned, now, scope)["items"]

    def entries(code: str) -> int:
        child = ClosedLoopQuery(code, period.first_day, period.last_day, as_of_position=pinned.as_of_position,
                                judged_on=pinned.judged_on)
        return sum(p["plan_entries"] for p in reads.by_supervisor(child, now, scope)["items"])

    def region(info: dict[str, str], figures: dict[str, Any], plan_entries: int) -> RegionAssessment:
        inputs = _region_inputs(figures, plan_entries)
        return RegionAssessment(code=info["code"], name=info["name"], level=info["level"], score=score(inputs, weights),
                                inputs=AssessmentInputsView.of(inputs))

    supervisors = [SupervisorAssessment(username=p["username"], score=score(_supervisor_inputs(p), weights),
                                        inputs=AssessmentInputsView.of(_supervisor_inputs(p))) for p in people]
    supervisors.sort(key=lambda s: (s.score is None, s.score if s.score is not None else 0, s.username))
    return {
        "as_of_position": report["as_of_position"], "judged_on": report["judged_on"],
        "region": region(report["region"], report["totals"], sum(p["plan_entries"] for p in people)),
        "children": [region(c["region"], c["figures"], entries(c["region"]["code"])) for c in report["children"]],
        "supervisors": supervisors,
    }


@strawberry.type
class AssessmentQuery:
    @strawberry.field(description="绩效考核: scores per region and per supervisor for a month (2026-12) or a quarter "
                                  "(2026-Q4), with their inputs and the rule version")
    async def assessment(self, info: Info[GraphQLContext, None], region_code: str, period: str) -> Assessment:
        context = info.context
        check_region(context, region_code)
        try:
            parsed = AssessmentPeriod.parse(period)
        except InvalidValue as error:
            raise bad_input(error.message, "period") from None
        judged = min(context.now, end_of(parsed.last_day))
        version = await run_in_threadpool(context.services.write.rules.in_force, judged)
        weights = version.rules.assessment_weights
        found = await read(assess, context.read.closed_loop, region_code, parsed, weights, context.now, context.scope)
        return Assessment(period=parsed.text, rule_version=version.number, weights=weights.as_dict(),
                          as_of_position=found["as_of_position"], judged_on=found["judged_on"], region=found["region"],
                          children=found["children"], supervisor_rows=found["supervisors"])


