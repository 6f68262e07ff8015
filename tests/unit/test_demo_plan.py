"""The synthetic province's plan: deterministic, consistent step by step, and with the mix the demo
and the benchmarks promise (late enterprises, hazards through their lifecycle, overdue ones...)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from api.demo.fast_path import FastPath
from api.demo.plan import (
    CST,
    AcceptRectification,
    ChangeRiskLevel,
    IdentifyRisk,
    InvalidateHazard,
    Province,
    RecordInspection,
    RegisterEnterprise,
    RegisterHazard,
    Step,
    log_order,
    period_end,
)
from domain.shared.credit_code import CreditCode
from domain.shared.regions import RegionLevel, henan_regions

PROVINCE = Province(seed=5, end=datetime(2026, 6, 1, tzinfo=CST), days=90)


@pytest.fixture(scope="module")
def plans() -> list:
    return list(PROVINCE.enterprises(1500))


def business_time(step: Step) -> datetime | None:
    c = step.command
    for name in ("registered_at", "identified_at", "found_at", "performed_at"):
        if hasattr(getattr(c, "spec", None), name):
            return getattr(c.spec, name)
    for name in ("changed_at", "completed_at", "accepted_at"):
        if hasattr(c, name):
            return getattr(c, name)
    return None


def test_an_enterprise_is_the_same_whatever_else_is_planned() -> None:
    alone = PROVINCE.enterprise(41)
    among = list(PROVINCE.enterprises(5, first=39))[2]
    assert alone == among
    assert Province(6, PROVINCE.end, 90).enterprise(41).credit_code != alone.credit_code


def test_demo_period_ends_at_the_start_of_today_in_china() -> None:
    assert period_end(datetime(2026, 6, 1, 17, 30, tzinfo=CST)) == datetime(2026, 6, 1, tzinfo=CST)
    assert period_end(datetime(2026, 5, 31, 20, 0, tzinfo=UTC)) == datetime(2026, 6, 1, tzinfo=CST)  # 04:00 in China


def test_steps_are_consistent_one_by_one(plans: list) -> None:
    codes = set()
    counties = {r.code for r in henan_regions().all() if r.level is RegionLevel.COUNTY and not r.retired}
    for plan in plans:
        assert CreditCode.parse(plan.credit_code).value == plan.credit_code
        assert plan.region_code in counties
        codes.add(plan.credit_code)
        seen: dict = {}
        for step in sorted(plan.steps, key=lambda s: (s.recorded_at, s.seq)):
            version, last = seen.get(step.aggregate_id, (0, None))
            assert step.version == version + 1  # one event per step, no gaps
            assert last is None or step.recorded_at > last
            seen[step.aggregate_id] = (step.version, step.recorded_at)
            assert PROVINCE.start <= step.recorded_at < PROVINCE.end
            at = business_time(step)
            assert at is None or at <= step.recorded_at
        first = min(plan.steps, key=lambda s: s.recorded_at)
        assert isinstance(first.command, RegisterEnterprise)
        if plan.deregistered:
            assert max(plan.steps, key=lambda s: s.recorded_at).command.__class__.__name__ == "DeregisterEnterprise"
    assert len(codes) == len(plans)


def test_the_mix_is_plausible(plans: list) -> None:
    n = len(plans)
    late = [p for p in plans if p.late]
    assert 0.11 < len(late) / n < 0.19
    assert not any(isinstance(s.command, (IdentifyRisk, RecordInspection, RegisterHazard)) for p in late for s in p.steps)
    registered = [p.steps[0].command.spec.registered_at for p in plans]
    during = sum(1 for at in registered if at > PROVINCE.start + timedelta(days=10))
    assert 0.08 < during / n < 0.22
    assert len({p.region_code[:4] for p in plans}) >= 17  # every prefecture
    assert len({p.industry for p in plans}) == 16

    steps = [s for p in plans for s in p.steps]
    levels = Counter(s.command.spec.current_level for s in steps if isinstance(s.command, IdentifyRisk))
    total = sum(levels.values())
    assert levels["low"] > levels["general"] > levels["significant"] > levels["major"] > 0.02 * total
    assert any(isinstance(s.command, ChangeRiskLevel) for s in steps)

    accepted = Counter(s.command.passed for s in steps if isinstance(s.command, AcceptRectification))
    assert accepted[False] > 0 and accepted[True] > 5 * accepted[False]
    assert any(isinstance(s.command, InvalidateHazard) for s in steps)
    hazards = {s.aggregate_id: s.command.spec for s in steps if isinstance(s.command, RegisterHazard)}
    closed = {s.aggregate_id for s in steps
              if isinstance(s.command, InvalidateHazard) or (isinstance(s.command, AcceptRectification) and s.command.passed)}
    overdue = [h for hid, h in hazards.items()
               if hid not in closed and h.rectification_deadline is not None and h.rectification_deadline < PROVINCE.end]
    assert len(overdue) > 0.03 * len(hazards)
    assert Counter(h.level for h in hazards.values())["major"] > 0

    gaps = []
    for plan in plans:
        times = sorted(s.command.spec.performed_at for s in plan.steps if isinstance(s.command, RecordInspection))
        gaps += [(b - a).days for a, b in zip(times, times[1:])]
    assert gaps and min(gaps) >= 6 and max(gaps) <= 22 and 10 < sum(gaps) / len(gaps) < 17


@pytest.mark.parametrize("chunk", [None, 7])
def test_log_order_keeps_every_aggregate_in_order_and_loses_nothing(plans: list, chunk: int | None) -> None:
    some = plans[:30]
    ordered = [s for batch in log_order(some, chunk) for s in batch]
    assert sorted(ordered, key=lambda s: (s.enterprise, s.seq)) == sorted(
        (s for p in some for s in p.steps), key=lambda s: (s.enterprise, s.seq))
    last: dict = defaultdict(int)
    for step in ordered:
        assert step.version == last[step.aggregate_id] + 1
        last[step.aggregate_id] = step.version


def test_the_fast_path_turns_each_step_into_its_one_event(plans: list) -> None:
    steps = next(log_order(plans[:10], None))
    events = FastPath(actor="cli:t").events(steps)
    assert [(e.originator_id, e.originator_version) for e in events] == [(s.aggregate_id, s.version) for s in steps]
    assert all(e.meta.recorded_at == s.recorded_at and e.meta.actor == "cli:t" for e, s in zip(events, steps))
