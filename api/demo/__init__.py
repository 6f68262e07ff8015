"""Demo data: a synthetic Henan province written through the same application services the API
uses (never by writing tables), so a newcomer has a populated drill-down to look at and users to
log in with.

The province is a deterministic plan (`plan.py`); `seed_demo` runs it through `LedgerServices`
(`seeding.py`), the benchmarks run the same plan on the fast path (`fast_path.py`). Same seed and
same day, same data; re-seeding writes nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from api.demo.plan import EnterprisePlan, Province, log_order, period_end
from api.demo.seeding import SeedReport, run_steps
from domain.identity.commands import UserSpec
from domain.services import LedgerServices
from domain.shared.commands import CommandContext
from domain.shared.errors import Conflict

DEMO_PASSWORD = "demo-password"
DemoReport = SeedReport


def seed_demo(
    services: LedgerServices, context: Callable[[], CommandContext], hash_password: Callable[[str], str],
    now: datetime, enterprises: int = 100, seed: int = 7, days: int = 90,
) -> SeedReport:
    """Seed `enterprises` enterprises with `days` days of activity ending today, then the demo users.

    Steps carry their own (simulated) acceptance times; `context` supplies the rest of each
    command's metadata (actor, door, a fresh request id), as it would for any CLI command."""
    province = Province(seed, period_end(now), days)
    plans = list(province.enterprises(enterprises))
    report = SeedReport()
    for steps in log_order(plans, chunk=None):  # the whole province interleaved by time
        run_steps(services, steps, context, report)
    _users(services, context, hash_password, _showcase(plans))
    return report


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
        UserSpec("demo-supervisor", "supervisor", region_code="410100"),
    ]
    if code is not None:
        specs.append(UserSpec("demo-enterprise", "enterprise", credit_code=code))
    for spec in specs:
        try:
            services.users.add(context(), spec, password_hash)
        except Conflict:
            pass  # the demo user exists with another scope: leave it


__all__ = ["DEMO_PASSWORD", "DemoReport", "SeedReport", "seed_demo"]
