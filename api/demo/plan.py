"""The synthetic province as a deterministic plan of application-service commands.

One plan, two executors: `seeding.py` sends each step through `LedgerServices` (the demo seed, as
the API would), `fast_path.py` drives the domain aggregates directly and writes many events per
transaction (the benchmarks). Both must produce the same events (tests/integration/test_demo_executors.py).

A plan is a function of (seed, period end, days, enterprise index): each enterprise has its own
RNG, so enterprise 41 is the same whether 50 or 100,000 are planned. Its life over the period:
- most enterprises are registered in the first days of the period (the ledger goes live), about
  15 % during it;
- about 15 % are late: registered, nothing reported since;
- the others identify 3-7 risk points soon after registration (a few only after 10 days), with a
  plausible level mix (45 % low, 35 % general, 15 % significant, 5 % major); some risks change
  level later, some get revised control measures, a few are invalidated;
- they record an investigation (隐患排查记录) every one to three weeks (about 10 % stop halfway);
  about a third of the investigations find hazards, which are registered and taken through
  rectification and acceptance: immediate ones the same day, deadline ones within weeks; some
  acceptances fail and the rectification is redone, a few hazards are invalidated as duplicates,
  some stay open past their deadline (overdue);
- a few enterprises change their details, fewer are deregistered.

Each step is one command producing exactly one event, so a step names the aggregate it writes and
the version that aggregate has afterwards (a re-run can tell what is already there). `recorded_at`
is the simulated ledger time at which the command is accepted (minutes after the business time it
states); it goes into the event metadata, and the commands that take their business time from
the ledger clock (revise measures, invalidate, change details, deregister) take it from there.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Union
from uuid import UUID

from api.demo import catalogue as cat
from domain.enterprises.aggregate import Enterprise
from domain.enterprises.commands import EnterpriseSpec
from domain.hazards.aggregate import Hazard, RectificationPlan
from domain.hazards.commands import HazardSpec
from domain.inspections.aggregate import Inspection
from domain.inspections.commands import InspectionSpec
from domain.risks.aggregate import ControlMeasure, Risk
from domain.risks.commands import RiskSpec
from domain.shared.codes import RiskLevel
from domain.shared.credit_code import credit_code_with_check_digit
from domain.shared.meta import Meta
from domain.shared.regions import Region, RegionLevel, henan_regions

CST = timezone(timedelta(hours=8))
CHUNK = 200  # enterprises whose steps are interleaved by time in the log (bounded memory)
MAX_DELAY_MIN = 20  # a command reaches the ledger 1..20 minutes after the business time it states


# ---------------------------------------------------------------------------- commands (one event each)


@dataclass(frozen=True)
class RegisterEnterprise:
    spec: EnterpriseSpec


@dataclass(frozen=True)
class ChangeEnterpriseDetails:
    changes: dict[str, Any]


@dataclass(frozen=True)
class DeregisterEnterprise:
    reason: str


@dataclass(frozen=True)
class IdentifyRisk:
    spec: RiskSpec


@dataclass(frozen=True)
class ChangeRiskLevel:
    risk_id: UUID
    level: str
    reason: str
    changed_at: datetime


@dataclass(frozen=True)
class ReviseRiskMeasures:
    risk_id: UUID
    measures: list[ControlMeasure]
    reason: str


@dataclass(frozen=True)
class InvalidateRisk:
    risk_id: UUID
    reason: str


@dataclass(frozen=True)
class RegisterHazard:
    spec: HazardSpec


@dataclass(frozen=True)
class ReportRectification:
    hazard_id: UUID
    measures: str
    completed_at: datetime
    responsible_person: str
    cost: float | None


@dataclass(frozen=True)
class AcceptRectification:
    hazard_id: UUID
    passed: bool
    accepted_by: str
    accepted_at: datetime
    opinion: str


@dataclass(frozen=True)
class InvalidateHazard:
    hazard_id: UUID
    reason: str


@dataclass(frozen=True)
class RecordInspection:
    spec: InspectionSpec


Command = Union[
    RegisterEnterprise, ChangeEnterpriseDetails, DeregisterEnterprise, IdentifyRisk, ChangeRiskLevel,
    ReviseRiskMeasures, InvalidateRisk, RegisterHazard, ReportRectification, AcceptRectification,
    InvalidateHazard, RecordInspection,
]
CREATES = (RegisterEnterprise, IdentifyRisk, RegisterHazard, RecordInspection)
RiskLife = tuple[UUID, datetime, datetime | None]  # risk id, recorded at identification, at invalidation


@dataclass(frozen=True)
class Step:
    recorded_at: datetime  # simulated ledger time of acceptance
    enterprise: int        # index of the enterprise in the province
    seq: int               # order of planning within the enterprise (ties)
    credit_code: str
    aggregate_id: UUID
    version: int           # the aggregate's version after this step
    command: Command

    @property
    def creates(self) -> bool:
        return isinstance(self.command, CREATES)

    def meta(self, like: Meta) -> Meta:
        """The metadata of this step's command: who and through which door as `like` says (the
        executor's door), accepted at the simulated `recorded_at`."""
        return Meta(like.actor, like.channel, self.recorded_at, like.request_id, like.correlation_id, like.causation_id)


@dataclass
class EnterprisePlan:
    index: int
    credit_code: str
    region_code: str
    industry: str
    late: bool = False          # registered, nothing reported
    deregistered: bool = False
    steps: list[Step] = field(default_factory=list)


# ---------------------------------------------------------------------------- the province


@lru_cache(maxsize=1)
def _counties_by_city() -> tuple[tuple[str, ...], tuple[int, ...], dict[str, list[Region]]]:
    counties: dict[str, list[Region]] = {}
    for region in henan_regions().all():
        if region.level is RegionLevel.COUNTY and not region.retired and not region.nbs_only:
            counties.setdefault(region.city_code or region.code, []).append(region)
    cities = tuple(code for code in cat.CITY_WEIGHTS if code in counties)
    return cities, tuple(cat.CITY_WEIGHTS[c] for c in cities), counties


def period_end(now: datetime) -> datetime:
    """The end of a demo period: the start of `now`'s day in China Standard Time, so every step
    lies in the past and a re-run the same day plans exactly the same steps."""
    return now.astimezone(CST).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Province:
    """Which synthetic province: the seed and the period [end - days, end)."""

    seed: int
    end: datetime
    days: int

    def __post_init__(self) -> None:
        if self.end.tzinfo is None or self.days < 1:
            raise ValueError("a province needs an aware end time and at least one day")

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)

    def enterprise(self, index: int) -> EnterprisePlan:
        return _Life(self, index).plan()

    def enterprises(self, count: int | None = None, first: int = 0) -> Iterator[EnterprisePlan]:
        index = first
        while count is None or index < first + count:
            yield self.enterprise(index)
            index += 1


def log_order(plans: Iterable[EnterprisePlan], chunk: int | None = CHUNK) -> Iterator[list[Step]]:
    """Steps in the order they are written, per chunk of `chunk` enterprises (None: all in one):
    within a chunk by recorded time, which keeps every aggregate's own order (each step of an
    aggregate, and every step depending on another, is recorded strictly later)."""
    batch: list[EnterprisePlan] = []
    for plan in plans:
        batch.append(plan)
        if chunk is not None and len(batch) >= chunk:
            yield _merged(batch)
            batch = []
    if batch:
        yield _merged(batch)


def _merged(plans: list[EnterprisePlan]) -> list[Step]:
    keyed = [sorted(p.steps, key=lambda s: (s.recorded_at, s.seq)) for p in plans]
    return list(heapq.merge(*keyed, key=lambda s: (s.recorded_at, s.enterprise, s.seq)))


# ---------------------------------------------------------------------------- one enterprise's life


class _Life:
    def __init__(self, province: Province, index: int) -> None:
        if not 0 <= index < 1_000_000:
            raise ValueError("enterprise index out of range (0..999,999)")
        self.rng = random.Random(f"{province.seed}-{index}")
        self.province, self.index = province, index
        self.end = province.end.astimezone(CST)  # working hours are China's
        self.start = self.end - timedelta(days=province.days)
        self.versions: dict[UUID, tuple[int, datetime]] = {}  # aggregate -> (version, recorded_at)
        self.steps: list[Step] = []
        self.code = ""
        self.eid = ""

    # -- time

    def when(self, after: datetime, low: float, high: float) -> datetime | None:
        """A business time `low`..`high` days after `after` (in working hours when a day or more
        away), strictly later than it; None when it would reach the end of the period."""
        rng = self.rng
        at = after + timedelta(days=rng.uniform(low, high))
        if low >= 0.5:
            at = at.replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(minutes=rng.randint(0, 600))
        at = at.replace(microsecond=0)
        if at <= after:
            at = (after + timedelta(minutes=rng.randint(5, 90))).replace(microsecond=0)
        if at + timedelta(minutes=MAX_DELAY_MIN) >= self.end:
            return None
        return at

    def step(self, aggregate_id: UUID, command: Command, at: datetime, delayed: bool = True) -> datetime:
        """Plan a command stating business time `at`; returns when the ledger records it."""
        recorded = at + timedelta(minutes=self.rng.randint(1, MAX_DELAY_MIN)) if delayed else at
        version, last = self.versions.get(aggregate_id, (0, None))
        if last is not None and recorded <= last:
            raise AssertionError(f"plan out of order for {aggregate_id}")  # a bug in this module
        self.versions[aggregate_id] = (version + 1, recorded)
        self.steps.append(Step(recorded, self.index, len(self.steps), self.code, aggregate_id, version + 1, command))
        return recorded

    def last_recorded(self) -> datetime:
        return max(s.recorded_at for s in self.steps)

    # -- the plan

    def plan(self) -> EnterprisePlan:
        rng = self.rng
        cities, weights, counties = _counties_by_city()
        county = rng.choice(counties[rng.choices(cities, weights)[0]])
        industry = rng.choices(list(cat.INDUSTRY_WEIGHTS), list(cat.INDUSTRY_WEIGHTS.values()))[0]
        level = rng.choices(list(cat.LEVEL_WEIGHTS), list(cat.LEVEL_WEIGHTS.values()))[0]
        self.code = credit_code_with_check_digit(f"91{county.code}M{self.province.seed % 100:02d}{self.index:06d}")
        self.eid = str(Enterprise.create_id(self.code))
        place = county.name[:-1] if len(county.name) > 2 else county.name
        name = f"{place}{rng.choice(cat.BRANDS)}{cat.NAME_SUFFIX[industry]}"
        officer = rng.choice(cat.PEOPLE)
        mobile = f"13{rng.randint(0, 9)}{rng.randint(0, 10**8 - 1):08d}"
        days = self.province.days
        joined_during = rng.random() < 0.15
        registered = (self.when(self.start, 0.1 * days, 0.9 * days) if joined_during
                      else self.when(self.start, 0.5, max(0.5, min(7.0, 0.1 * days))))
        registered = registered or self.start.replace(hour=9)
        plan = EnterprisePlan(self.index, self.code, county.code, industry.value, late=rng.random() < 0.15)
        spec = EnterpriseSpec(self.code, name, county.code, industry.value, level, officer, mobile, registered)
        reg_recorded = self.step(Enterprise.create_id(self.code), RegisterEnterprise(spec), registered)
        if not plan.late:
            risks = self.risks(reg_recorded)
            self.inspections(reg_recorded, risks, lapses=rng.random() < 0.10)
        enterprise_id = Enterprise.create_id(self.code)
        if rng.random() < 0.03 and (at := self.when(reg_recorded, 1, days)) is not None:
            if rng.random() < 0.5:
                changes = {"safety_officer_name": rng.choice([p for p in cat.PEOPLE if p != officer])}
            else:
                changes = {"safety_officer_mobile": f"15{rng.randint(0, 9)}{rng.randint(0, 10**8 - 1):08d}"}
            self.step(enterprise_id, ChangeEnterpriseDetails(changes), at, delayed=False)
        if rng.random() < 0.01 and (at := self.when(self.last_recorded(), 1, 20)) is not None:
            reason = rng.choice(cat.DEREGISTRATION_REASONS)
            self.step(enterprise_id, DeregisterEnterprise(reason), at, delayed=False)  # the last step
            plan.deregistered = True
        plan.steps = self.steps
        return plan

    def risks(self, reg_recorded: datetime) -> list[RiskLife]:
        """Identify 3-7 risk points, some changed later."""
        rng = self.rng
        made = []
        for k, point in enumerate(rng.sample(cat.RISK_POINTS, rng.randint(3, 7))):
            identified = self.when(reg_recorded, 10, 30) if rng.random() < 0.1 else self.when(reg_recorded, 0.5, 10)
            if identified is None:
                continue
            level = rng.choices(list(cat.RISK_LEVEL_WEIGHTS), list(cat.RISK_LEVEL_WEIGHTS.values()))[0]
            inherent = RiskLevel(min(4, int(level) + 1)) if rng.random() < 0.3 else level
            person = rng.choice(cat.PEOPLE)
            measures = [cat.measure(point.measure, rng.randrange(12), person)]
            code = f"R-{k + 1:03d}"
            spec = RiskSpec(
                code, point.name, point.location, list(point.hazard_factors), list(point.accident_types), "lec",
                rng.choice(cat.LEC_SCORES[inherent]), level.code, measures, identified, inherent_level=inherent.code,
            )
            risk_id = Risk.create_id(self.eid, code)
            latest = first = self.step(risk_id, IdentifyRisk(spec), identified)
            if rng.random() < 0.25 and (at := self.when(latest, 7, 60)) is not None:
                new = rng.choice([lv for lv in RiskLevel if lv != level])
                latest = self.step(risk_id, ChangeRiskLevel(risk_id, new.code, rng.choice(cat.LEVEL_REASONS), at), at)
            if rng.random() < 0.2 and (at := self.when(latest, 3, 60)) is not None:
                revised = [*measures, cat.measure("增加巡检频次并留存记录", rng.randrange(12), rng.choice(cat.PEOPLE))]
                latest = self.step(risk_id, ReviseRiskMeasures(risk_id, revised, rng.choice(cat.REVISION_REASONS)), at,
                                   delayed=False)
            invalidated = None
            if rng.random() < 0.05 and (at := self.when(latest, 3, 60)) is not None:
                reason = rng.choice(cat.RISK_INVALIDATION_REASONS)
                invalidated = self.step(risk_id, InvalidateRisk(risk_id, reason), at, delayed=False)
            made.append((risk_id, first, invalidated))
        return made

    def inspections(self, reg_recorded: datetime, risks: list[RiskLife], lapses: bool) -> None:
        rng = self.rng
        stop = self.start + timedelta(days=self.province.days * rng.uniform(0.4, 0.8)) if lapses else self.end
        performed = self.when(reg_recorded, 1, 7)
        k = 0
        while performed is not None and performed < stop:
            k += 1
            found = rng.choices([0, 1, 2, 3], weights=[65, 28, 6, 1])[0]
            code = f"I-{k:04d}"
            spec = InspectionSpec(code, performed, rng.choice(cat.INSPECTION_SCOPES), found, rng.choice(cat.PEOPLE))
            recorded = self.step(Inspection.create_id(self.eid, code), RecordInspection(spec), performed)
            for j in range(found):
                self.hazard(f"H-{k:04d}-{j + 1}", performed, recorded, risks)
            performed = self.when(recorded, 7, 21)

    def hazard(self, code: str, found: datetime, after: datetime, risks: list[RiskLife]) -> None:
        """A hazard found at `found` by the investigation recorded at `after`, and its governance."""
        rng = self.rng
        major = rng.random() < 0.04
        kind = rng.choice([k for k in cat.HAZARD_KINDS if k.major == major])
        immediate = not major and rng.random() < 0.45  # 即查即改
        deadline = None if immediate else found + timedelta(days=rng.randint(30, 90) if major else rng.randint(7, 30))
        plan = RectificationPlan("消除重大隐患", kind.rectification, "10 万元", "设备部", "限期内完成",
                                 "设置警戒区并专人监护") if major else None
        person = rng.choice(cat.PEOPLE)
        # Registered after the investigation that found it was recorded; a linked risk must be valid then.
        linked = [rid for rid, identified, invalidated in risks
                  if identified < after and (invalidated is None or invalidated > after + timedelta(hours=1))]
        risk_id = rng.choice(linked) if linked and rng.random() < 0.3 else None
        spec = HazardSpec(code, kind.name, kind.description, "major" if major else "general",
                          "supervision" if rng.random() < 0.1 else "self_inspection", found, person,
                          "immediate" if immediate else "deadline", rectification_deadline=deadline, risk_id=risk_id,
                          rectification_plan=plan)
        hazard_id = Hazard.create_id(self.eid, code)
        latest = self.step(hazard_id, RegisterHazard(spec), after)
        fate = rng.random()
        if fate < 0.04:
            if (at := self.when(latest, 0.5, 5)) is not None:
                reason = rng.choice(cat.HAZARD_INVALIDATION_REASONS)
                self.step(hazard_id, InvalidateHazard(hazard_id, reason), at, delayed=False)
            return
        if fate < 0.12:
            return  # stays open: overdue once its deadline passes
        window = (0.02, 0.3) if immediate else (1, (deadline - found).days * 1.2)  # type: ignore[operator]
        failures = 1 if rng.random() < 0.1 else 0
        for attempt in range(failures + 1):
            done = self.when(latest, *window)
            if done is None:
                return
            cost = float(rng.choice([0, 200, 500, 1500, 8000]))
            latest = self.step(hazard_id, ReportRectification(hazard_id, kind.rectification, done, person, cost), done)
            if fate > 0.97:
                return  # rectified, acceptance still pending
            accepted = self.when(latest, 0.02, 0.5) if immediate else self.when(latest, 0.5, 5)
            if accepted is None:
                return
            passed = attempt == failures
            opinion = rng.choice(cat.PASSED_OPINIONS if passed else cat.FAILED_OPINIONS)
            inspector = rng.choice(cat.PEOPLE)
            latest = self.step(hazard_id, AcceptRectification(hazard_id, passed, inspector, accepted, opinion), accepted)
            window = (0.5, 7)
