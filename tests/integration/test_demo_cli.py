"""`ledger demo seed` against real databases: a populated province through the application
services, the demo users, a drill-down with something in it, and a re-run that writes nothing.
The `database` fixture (tests/integration/conftest.py) gives each kind of database in turn."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from adapters.crypto.passwords import verify_password
from api.bootstrap import bootstrap
from api.cli import app
from api.demo import DEMO_PASSWORD
from api.demo.plan import Province, period_end
from api.settings import Settings
from projections.analytics.queries import Analytics
from projections.runner import ProjectionRunner


def seed(*args: str) -> str:
    result = CliRunner().invoke(app, ["demo", "seed", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_seed_fills_a_province_with_users_and_a_populated_drilldown(database: str) -> None:
    out = seed("--enterprises", "12", "--days", "45", "--seed", "4")
    assert "demo: 12 enterprises" in out and "already there" in out
    services = bootstrap(Settings(database_url=database))
    try:
        head = services.events.head()
        assert head > 12 * 5
        for name in ("demo-admin", "demo-auditor", "demo-supervisor", "demo-enterprise"):
            user = services.write.users.find(name)
            assert user is not None and verify_password(user.password_hash, DEMO_PASSWORD)
        enterprise_user = services.write.users.find("demo-enterprise")
        assert services.write.enterprises.active(enterprise_user.credit_code)
        runner = ProjectionRunner(services.ledger)
        try:
            runner.catch_up()
            end = period_end(services.clock())
            late = sum(plan.late for plan in Province(4, end, 45).enterprises(12))
            drill = Analytics(runner.engine).drilldown(
                "410000", None, (end - timedelta(days=45)).date(), (end - timedelta(days=1)).date(), services.clock())
        finally:
            runner.close()
    finally:
        services.close()
    totals = drill["totals"]
    assert totals["enterprises"] == 12
    assert late > 0  # seed 4 has late enterprises among its first 12: they show as not identified
    assert 0 < totals["risk_identified"] <= 12 - late and 0 < totals["hazard_registered"] <= 12 - late
    assert sum(child["totals"]["enterprises"] for child in drill["children"]) == 12

    again = seed("--enterprises", "12", "--days", "45", "--seed", "4")
    assert "demo: 0 enterprises" in again and "0 events written" in again
    services = bootstrap(Settings(database_url=database))
    try:
        assert services.events.head() == head
    finally:
        services.close()


def test_demo_seed_refuses_nonsense_sizes(database: str) -> None:
    result = CliRunner().invoke(app, ["demo", "seed", "--days", "0"])
    assert result.exit_code == 2 and "--days" in result.output


def test_the_demo_has_reminders_in_every_state(database: str) -> None:
    seed("--enterprises", "40", "--days", "60", "--seed", "7")
    services = bootstrap(Settings(database_url=database))
    try:
        from projections.live import LiveTables
        from sqlalchemy import func, select

        def by_status(snap):  # noqa: ANN001, ANN202
            r, o = snap.tables["rm_reminders"], snap.tables["rm_outbox"]
            statuses = dict(snap.conn.execute(select(r.c.status, func.count()).group_by(r.c.status)).all())
            levels = {row[0] for row in snap.conn.execute(select(r.c.escalation_level).distinct())}
            delivered = snap.conn.execute(select(func.count()).select_from(o).where(o.c.status == "delivered")).scalar_one()
            return statuses, levels, delivered

        statuses, levels, delivered = LiveTables(services.engine).run(["reminders"], by_status)
    finally:
        services.close()
    assert {"open", "escalated", "resolved", "closed"} <= set(statuses)
    assert {0, 1, 2} <= levels and delivered > 0


def test_the_demo_supervisors_leave_every_closed_loop_outcome(database: str) -> None:
    seed("--enterprises", "40", "--days", "60", "--seed", "7")
    services = bootstrap(Settings(database_url=database))
    try:
        from projections.live import LiveTables
        from projections.supervision.closed_loop_queries import ClosedLoopQuery, ClosedLoopReads

        now = services.clock()
        report = ClosedLoopReads(LiveTables(services.engine)).report(
            ClosedLoopQuery("410000", (now - timedelta(days=60)).date(), now.date()), now)
    finally:
        services.close()
    totals = report["totals"]
    assert totals["answered_in_time"] > 0 and totals["unanswered"] > 0 and totals["enterprises_on_plan"] > 0, totals
