"""Demo data: a synthetic Henan province written through the same application services the API
uses (never by writing tables), so a newcomer has a populated drill-down to look at and users to
log in with.

The province is a deterministic plan (`plan.py`); `seed_demo` runs it through `LedgerServices`
(`seeding.py`), the benchmarks run the same plan on the fast path (`fast_path.py`). Same seed and
same day, same data; re-seeding writes nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from api.demo.plan import EnterprisePlan, Province, log_order, period_end
from api.demo.seeding import SeedReport, SeedState, run_steps
from domain.identity.commands import UserSpec
from domain.services import LedgerServices
from domain.shared.commands import CommandContext
from domain.reminders.days import CHINA
from domain.shared.errors import CommandRefused, Conflict

DEMO_PASSWORD = "demo-password"
DemoReport = SeedReport


def seed_demo(
    services: LedgerServices, context: Callable[[], CommandContext], hash_password: Callable[[str], str],
    now: datetime, enterprises: int = 100, seed: int = 7, days: int = 90,
    end_of_day: Callable[[datetime], None] | None = None, supervised_days: int = 30,
) -> SeedReport:
    """Seed `enterprises` enterprises with `days` days of activity ending today, then the demo users.

    Steps carry their own (simulated) acceptance times; `context` supplies the rest of each
    command's metadata (actor, door, a fresh request id), as it would for any CLI command. With
    `end_of_day`, the last `supervised_days` days are written day by day and `end_of_day(moment)`
    runs after each (the CLI scans for reminders then, so the demo has reminders in every state,
    raised, escalated and resolved as they would have been)."""
    province = Province(seed, period_end(now), days)
    plans = list(province.enterprises(enterprises))
    _users(services, context, hash_password, None)  # first: the scans route to the supervisors
    report = SeedReport()
    state = SeedState()
    for steps in log_order(plans, chunk=None):  # the whole province interleaved by time
        if end_of_day is None:
            run_steps(services, steps, context, report, state)
            continue
        day = _ten_am_china(now - timedelta(days=supervised_days))  # office hours: SMS are not held
        run_steps(services, [s for s in steps if s.recorded_at < day], context, report, state)
        while day < now:
            following = min(day + timedelta(days=1), now)
            run_steps(services, [s for s in steps if day <= s.recorded_at < following], context, report, state)
            end_of_day(following)
            day = following
        run_steps(services, [s for s in steps if s.recorded_at >= now], context, report, state)
    if end_of_day is not None:
        _close_one(services, context, plans)
        end_of_day(now)
    _users(services, context, hash_password, _showcase(plans))  # the enterprise user, once it is registered
    return report


def _ten_am_china(moment: datetime) -> datetime:
    china = moment.astimezone(CHINA)
    return china.replace(hour=10, minute=0, second=0, microsecond=0)


def _close_one(services: LedgerServices, context: Callable[[], CommandContext], plans: list[EnterprisePlan]) -> None:
    """Deregister one late enterprise, so the demo also shows reminders closed that way (a
    deregistered enterprise is never reminded). Already done on a re-run: nothing happens."""
    late = next((p for p in plans if p.late and not p.deregistered), None)
    if late is None:
        return
    try:
        services.enterprises.deregister(context(), late.credit_code, "停产关闭（演示数据）")
    except CommandRefused:
        pass


def _showcase(plans: list[EnterprisePlan]) -> str | None:
    """The enterprise the demo enterprise user acts for: the first one that reports and is open."""
    for plan in plans:
        if not plan.late and not plan.deregistered:
            return plan.credit_code
    return None


def _users(services: LedgerServices, context: Callable[[], CommandContext], hash_password: Callable[[str], str],
           code: str | None) -> None:
    password_hash = hash_password(DEMO_PASSWORD)
    specs = [
        UserSpec("demo-admin", "admin"),
        UserSpec("demo-auditor", "auditor"),
        UserSpec("demo-supervisor", "supervisor", region_code="410100", mobile="13900000100"),
        UserSpec("demo-county-supervisor", "supervisor", region_code="410185", mobile="13900000185"),
        UserSpec("demo-province-supervisor", "supervisor", region_code="410000", mobile="13900000410"),
    ]
    if code is not None:
        specs.append(UserSpec("demo-enterprise", "enterprise", credit_code=code))
    for spec in specs:
        try:
            services.users.add(context(), spec, password_hash)
        except Conflict:
            pass  # the demo user exists with another scope: leave it


__all__ = ["DEMO_PASSWORD", "DemoReport", "SeedReport", "seed_demo"]
