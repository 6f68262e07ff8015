"""The supervision rule set (监管规则): day counts, switches, quiet hours and routing.

The province's business office sets them ("规则由业务处室制定，系统支持自定义"); the defaults are the
seed's (package A 1.4.2). A rule set is a plain value, validated as a whole so an admin sees every
mistake at once; `SupervisionRules` (aggregate.py) keeps its versions.

Per-industry overrides replace single values for one industry (e.g. hazardous chemicals investigate
every 3 days). Routes add supervisors to, or replace, the default recipients of an escalation for an
industry x supervision level (x escalation level); the default is every active supervisor whose
scope covers the enterprise at the administrative tier of the escalation (routing.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import time
from typing import Any

from domain.shared.codes import Industry, SupervisionLevel
from domain.shared.validation import Checks

DAY_KINDS = ("calendar", "working")
ROUTE_MODES = ("add", "only")
MAX_ROUTES = 200
MAX_ROUTE_USERS = 50
# (field, least, most): the day counts an admin may set
DAY_COUNTS = {
    "risk_identification_days": (1, 365),
    "investigation_interval_days": (1, 365),
    "escalation_delay_days": (0, 90),
    "supervisor_response_days": (1, 90),
}
OVERRIDABLE = (*DAY_COUNTS, "rectification_overdue", "day_kind")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class QuietHours:
    """SMS is held from `start` to `end` (Asia/Shanghai; may span midnight); in-app is never held."""

    start: str = "22:00"
    end: str = "07:00"

    def contains(self, moment: time) -> bool:
        start, end = time.fromisoformat(self.start), time.fromisoformat(self.end)
        if start == end:
            return False  # no quiet hours
        if start < end:
            return start <= moment < end
        return moment >= start or moment < end


@dataclass(frozen=True)
class Route:
    """Who is notified of an escalation for enterprises of an industry and supervision level.

    None matches any. `add` notifies `usernames` besides the default recipients, `only` instead of them.
    """

    usernames: tuple[str, ...]
    industry: str | None = None
    supervision_level: str | None = None
    escalation_level: int | None = None
    mode: str = "add"

    def matches(self, industry: str, supervision_level: str, escalation_level: int) -> bool:
        return ((self.industry is None or self.industry == industry)
                and (self.supervision_level is None or self.supervision_level == supervision_level)
                and (self.escalation_level is None or self.escalation_level == escalation_level))


@dataclass(frozen=True)
class AssessmentWeights:
    """绩效考核 weights (docs/supervision.md, "Assessment"): each escalation a supervisor received
    scores the weight of what became of it, the mean of those is scaled to 100, and each
    enforcement-plan entry they recorded adds `enforcement_entry` points; the result is kept in
    [0, 100]."""

    answered_in_time: float = 1.0
    answered_late: float = 0.6
    answered_by_others: float = 0.8  # a colleague answered: the escalation was handled, not by them
    unanswered: float = 0.0
    enforcement_entry: float = 2.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class EffectiveRules:
    """The values that apply to one enterprise: the rule set with its industry's overrides applied."""

    risk_identification_days: int
    investigation_interval_days: int
    rectification_overdue: bool
    escalation_delay_days: int
    supervisor_response_days: int
    day_kind: str


@dataclass(frozen=True)
class RuleSet:
    risk_identification_days: int = 10
    investigation_interval_days: int = 7
    rectification_overdue: bool = True
    escalation_delay_days: int = 3
    supervisor_response_days: int = 5
    day_kind: str = "calendar"
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    industry_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()
    # an escalation unanswered this many days (the rule's day kind) puts the enterprise on next
    # month's enforcement plan, recorded as done by the system; None: never automatically
    enforcement_plan_after_days: int | None = None
    assessment_weights: AssessmentWeights = field(default_factory=AssessmentWeights)
    _effective: dict[str, EffectiveRules] = field(default_factory=dict, compare=False, repr=False)

    def for_industry(self, industry: str) -> EffectiveRules:
        """Computed once per industry and rule set (a scan asks for every enterprise)."""
        found = self._effective.get(industry)
        if found is None:
            base = EffectiveRules(self.risk_identification_days, self.investigation_interval_days,
                                  self.rectification_overdue, self.escalation_delay_days, self.supervisor_response_days,
                                  self.day_kind)
            found = self._effective[industry] = replace(base, **dict(self.industry_overrides.get(industry, {})))
        return found

    def routes_for(self, industry: str, supervision_level: str, escalation_level: int) -> list[Route]:
        return [r for r in self.routes if r.matches(industry, supervision_level, escalation_level)]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["_effective"]
        data["industry_overrides"] = {k: dict(v) for k, v in self.industry_overrides.items()}
        data["routes"] = [{**asdict(r), "usernames": list(r.usernames)} for r in self.routes]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        """Parse and check a whole rule set; every invalid field is reported at once (InvalidValues)."""
        checks = Checks()
        if not isinstance(data, Mapping):
            checks.fail("rules", "must be an object")
            checks.done()
        unknown = set(data) - {f for f in cls.__dataclass_fields__ if not f.startswith("_")}
        for name in sorted(unknown):
            checks.fail(name, "is not a supervision rule")
        defaults = cls()
        values: dict[str, Any] = {}
        for name, (least, most) in DAY_COUNTS.items():
            values[name] = _day_count(checks, name, data.get(name, getattr(defaults, name)), least, most)
        values["rectification_overdue"] = _switch(checks, "rectification_overdue",
                                                  data.get("rectification_overdue", defaults.rectification_overdue))
        values["day_kind"] = _day_kind(checks, "day_kind", data.get("day_kind", defaults.day_kind))
        values["quiet_hours"] = _quiet_hours(checks, data.get("quiet_hours", asdict(defaults.quiet_hours)))
        values["industry_overrides"] = _overrides(checks, data.get("industry_overrides", {}))
        values["routes"] = _routes(checks, data.get("routes", []))
        after = data.get("enforcement_plan_after_days", defaults.enforcement_plan_after_days)
        values["enforcement_plan_after_days"] = (None if after is None else
                                                 _day_count(checks, "enforcement_plan_after_days", after, 1, 90))
        values["assessment_weights"] = _weights(checks, data.get("assessment_weights", defaults.assessment_weights.as_dict()))
        checks.done()
        return cls(**values)


def _day_count(checks: Checks, name: str, value: Any, least: int, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        checks.fail(name, f"must be a whole number of days from {least} to {most}")
        return least
    return value


def _weights(checks: Checks, value: Any) -> AssessmentWeights:
    if not isinstance(value, Mapping):
        checks.fail("assessment_weights", "must be an object of weights")
        return AssessmentWeights()
    defaults = AssessmentWeights().as_dict()
    for name in sorted(set(value) - set(defaults)):
        checks.fail(f"assessment_weights.{name}", f"is not a weight (one of: {', '.join(defaults)})")
    parsed: dict[str, float] = {}
    for name, default in defaults.items():
        item = value.get(name, default)
        most = 20.0 if name == "enforcement_entry" else 1.0
        if isinstance(item, bool) or not isinstance(item, (int, float)) or not 0 <= item <= most:
            checks.fail(f"assessment_weights.{name}", f"must be a number from 0 to {most:g}")
            item = default
        parsed[name] = float(item)
    return AssessmentWeights(**parsed)


def _switch(checks: Checks, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        checks.fail(name, "must be true or false")
        return False
    return value


def _day_kind(checks: Checks, name: str, value: Any) -> str:
    if value not in DAY_KINDS:
        checks.fail(name, "must be 'calendar' or 'working'")
        return "calendar"
    return value


def _quiet_hours(checks: Checks, value: Any) -> QuietHours:
    if not isinstance(value, Mapping) or set(value) - {"start", "end"}:
        checks.fail("quiet_hours", "must be an object with start and end, e.g. {\"start\": \"22:00\", \"end\": \"07:00\"}")
        return QuietHours()
    parts = {}
    for name in ("start", "end"):
        text = value.get(name, getattr(QuietHours(), name))
        if not isinstance(text, str) or not _HHMM.match(text):
            checks.fail(f"quiet_hours.{name}", "must be a time HH:MM (Asia/Shanghai), e.g. 22:00")
            text = getattr(QuietHours(), name)
        parts[name] = text
    return QuietHours(**parts)


def _industry(checks: Checks, name: str, value: Any) -> str | None:
    if not isinstance(value, str):
        checks.fail(name, "must be an industry code")
        return None
    return parsed.value if (parsed := checks.run(Industry.parse, value, name)) is not None else None


def _overrides(checks: Checks, value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, Mapping):
        checks.fail("industry_overrides", "must be an object keyed by industry code")
        return {}
    result: dict[str, dict[str, Any]] = {}
    for key, override in value.items():
        where = f"industry_overrides.{key}"
        industry = _industry(checks, where, key)
        if not isinstance(override, Mapping) or not override:
            checks.fail(where, "must be a non-empty object of rule values")
            continue
        parsed: dict[str, Any] = {}
        for name, item in override.items():
            if name in DAY_COUNTS:
                parsed[name] = _day_count(checks, f"{where}.{name}", item, *DAY_COUNTS[name])
            elif name == "rectification_overdue":
                parsed[name] = _switch(checks, f"{where}.{name}", item)
            elif name == "day_kind":
                parsed[name] = _day_kind(checks, f"{where}.{name}", item)
            else:
                checks.fail(f"{where}.{name}", f"cannot be set per industry (one of: {', '.join(OVERRIDABLE)})")
        if industry is not None:
            result[industry] = parsed
    return result


def _routes(checks: Checks, value: Any) -> tuple[Route, ...]:
    if not isinstance(value, list) or len(value) > MAX_ROUTES:
        checks.fail("routes", f"must be a list of at most {MAX_ROUTES} routes")
        return ()
    routes = []
    for i, item in enumerate(value):
        where = f"routes.{i}"
        if not isinstance(item, Mapping):
            checks.fail(where, "must be an object")
            continue
        unknown = set(item) - {"usernames", "industry", "supervision_level", "escalation_level", "mode"}
        for name in sorted(unknown):
            checks.fail(f"{where}.{name}", "is not a route field")
        users = item.get("usernames")
        if (not isinstance(users, list) or not 1 <= len(users) <= MAX_ROUTE_USERS
                or not all(isinstance(u, str) and u.strip() for u in users)):
            checks.fail(f"{where}.usernames", f"must list 1 to {MAX_ROUTE_USERS} usernames")
            users = []
        industry = item.get("industry")
        if industry is not None:
            industry = _industry(checks, f"{where}.industry", industry)
        level = item.get("supervision_level")
        if level is not None:
            parsed = checks.run(SupervisionLevel.parse, str(level), f"{where}.supervision_level")
            level = parsed.value if parsed is not None else None
        escalation = item.get("escalation_level")
        if escalation is not None and (isinstance(escalation, bool) or escalation not in (1, 2, 3)):
            checks.fail(f"{where}.escalation_level", "must be 1, 2 or 3 (county, city, province step)")
        mode = item.get("mode", "add")
        if mode not in ROUTE_MODES:
            checks.fail(f"{where}.mode", "must be 'add' (besides the default recipients) or 'only' (instead of them)")
        routes.append(Route(tuple(u.strip() for u in users), industry, level, escalation, mode))
    return tuple(routes)
