"""The ministry exchange end to end on real databases: the ledger on PostgreSQL (and SQLite once),
the front-end database on PostgreSQL and on MariaDB, each test in databases of its own (dropped after).

Written through the ledger's commands, projected by the runner (the `ministry` staging projection),
exchanged by schedulers/exchange.py: a full load after some changes then an incremental batch gives
the same front-end rows as a fresh full load and as incremental batches from the start; updates
and deregistrations arrive as u and d rows; a killed exchanger (a subprocess SIGKILLed inside a
batch's transaction) and an injected failure resume without duplicates or gaps; the completeness
check reports a planted bad row and the policy holds it back; reconcile finds planted differences.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from adapters.frontend.database import FrontendDatabase
from adapters.frontend.exchange import FrontendExchange
from domain.enforcement.aggregate import EnforcementPlanEntry
from domain.identity.commands import UserSpec
from domain.reminders.responses import ResponseSpec
from domain.rules.calendar import WorkCalendar
from domain.services import LedgerServices
from domain.shared.meta import Meta
from projections.live import LiveTables
from projections.ministry import exchange_log
from projections.ministry.projection import MinistryProjection
from projections.ministry.catalogue import CATALOGUE
from projections.runner import ProjectionRunner
from schedulers.exchange import EXCHANGED, Exchanger, Hooks
from tests.support import mariadb, postgres
from tests.support.ledger import group_commit_services, open_ledger
from tests.unit.domain.helpers import NOW, ctx, enterprise_spec, identified_risk

ENTERPRISE = "jg_jgdx_qyjbxx"
CHEMICAL = "jg_jgdx_qykzxx_dangerous_chemical"
MINE = "jg_jgdx_qykzxx_mine"
PERSONNEL = "jg_zfk_user_info"
CHECK = "jg_jgxw_check_action"
PLAN = "jg_ztk_jgxn_ssjygk_zxjhsj"
PLAN_OBJECT = "jg_ztk_jgxn_ssjygk_zxjhcc"
VOLATILE = {"cd_time", "cd_batch", "data_up_time"}  # differ between loads by design


class Ledger:
    def __init__(self, services: LedgerServices, runner: ProjectionRunner) -> None:
        self.services = services
        self.runner = runner

    def catch_up(self) -> None:
        self.runner.catch_up()


@contextmanager
def ledger_on(kind: str, tmp_path: Path) -> Iterator[Ledger]:
    with ExitStack() as stack:
        url = f"sqlite:///{tmp_path / 'ledger.db'}" if kind == "sqlite" else \
            stack.enter_context(postgres.fresh_database("ledger_exch"))
        app = stack.enter_context(open_ledger(url))
        services = stack.enter_context(group_commit_services(app))
        runner = ProjectionRunner(app)
        stack.callback(runner.close)
        runner.ensure_current()
        yield Ledger(services, runner)


@contextmanager
def frontend_on(kind: str) -> Iterator[str]:
    fresh = postgres.fresh_database if kind == "postgres" else mariadb.fresh_database
    with fresh("ledger_front") as url:
        database = FrontendDatabase(url)
        try:
            database.init(CATALOGUE.tables, min_connections=1)
        finally:
            database.close()
        yield url


def exchanger(ledger: Ledger, url: str, root: Path, hooks: Hooks | None = None, chunk: int = 5000) -> Exchanger:
    engine = create_engine(url)
    return Exchanger(ledger.runner.engine, FrontendExchange(engine, CATALOGUE.tables), root, clock=lambda: NOW,
                     hooks=hooks, chunk=chunk)


def front_rows(url: str, table: str) -> dict[str, dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(f"SELECT * FROM {table}")).mappings().all()
        return {r["cd_id"]: {k.lower(): v for k, v in r.items() if k.lower() not in VOLATILE} for r in rows}
    finally:
        engine.dispose()


def everything(url: str) -> dict[str, dict[str, dict[str, Any]]]:
    return {t.name: front_rows(url, t.name) for t in EXCHANGED}


def meta() -> Meta:
    return Meta("test", "rest", NOW, uuid.uuid4().hex, "c")


# --- what happens in the ledger -------------------------------------------------------------------


def first_day(ledger: Ledger) -> dict[str, str]:
    """Two enterprises (hazardous chemicals, metallurgy) with a risk, a supervisor, a plan entry, and
    a supervisor's on-site answer to a reminder."""
    s = ledger.services
    chemical, metal, other = enterprise_spec(), enterprise_spec(industry="metallurgy"), enterprise_spec()
    for spec in (chemical, metal, other):
        s.enterprises.register(ctx(), spec)
    identified_risk(s, chemical.credit_code)
    s.users.add(ctx(), UserSpec("dengfeng-sup", "supervisor", "410185", ("hazardous_chemicals",), "county",
                                mobile="13900000001"), "x")
    s.users.add(ctx(), UserSpec("zz-sup", "supervisor", "410100"), "x")
    s.users.add(ctx(), UserSpec("an-admin", "admin"), "x")
    s.enforcement_plan.add(ctx(), other.credit_code, "2026-12", "多次提醒未辨识风险", None, "zz-sup")
    reminder_id = raise_reminder(ledger, chemical.credit_code)
    s.reminders.respond(ctx(), reminder_id, "dengfeng-sup",
                        ResponseSpec(("phone_call", "on_site_inspection"), "现场检查，责令限期辨识", NOW - timedelta(hours=2)),
                        WorkCalendar())
    ledger.catch_up()
    return {"chemical": chemical.credit_code, "metal": metal.credit_code, "other": other.credit_code}


def raise_reminder(ledger: Ledger, credit_code: str) -> Any:
    from domain.reminders.aggregate import Reminder

    reminder = Reminder(credit_code, "登封市示范化工有限公司", {"region_code": "410185", "industry": "hazardous_chemicals",
                                                         "supervision_level": "county"},
                        "risk_identification", "c1", "2026-11-01", "2026-11-10", "no risks", 1, {}, None, [], NOW, meta())
    ledger.services.ledger.save(reminder)
    return reminder.id


def second_day(ledger: Ledger, codes: dict[str, str]) -> None:
    """A renamed enterprise, a deregistration, an industry change (chemicals -> mine), a new one,
    a deactivated supervisor, a withdrawn plan entry."""
    s = ledger.services
    s.enterprises.change_details(ctx(), codes["chemical"], {"name": "登封市示范化工股份有限公司"})
    identified_risk(s, codes["chemical"])
    s.enterprises.deregister(ctx(), codes["metal"], "注销")
    s.enterprises.change_details(ctx(), codes["other"], {"industry": "machinery"})
    s.enterprises.register(ctx(), enterprise_spec())
    s.users.deactivate(ctx(), "zz-sup", "调离")
    entry = EnforcementPlanEntry.create_id(codes["other"], "2026-12")
    s.enforcement_plan.withdraw(ctx(), entry, "已整改", "zz-sup")
    ledger.catch_up()


# --- tests ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ledger_kind", "front_kind"), [("postgres", "postgres"), ("postgres", "mariadb"),
                                                         ("sqlite", "postgres")])
def test_full_then_incremental_equals_a_fresh_full_and_every_incremental_batch(
        ledger_kind: str, front_kind: str, tmp_path: Path) -> None:
    with ledger_on(ledger_kind, tmp_path) as ledger, frontend_on(front_kind) as a, frontend_on(front_kind) as b, \
            frontend_on(front_kind) as c:
        codes = first_day(ledger)
        only_incremental = exchanger(ledger, c, tmp_path / "c")
        assert all(r.result == "ok" for r in only_incremental.run()), [r.summary() for r in only_incremental.run()]
        full_then_incremental = exchanger(ledger, a, tmp_path / "a")
        first = {r.table: r for r in full_then_incremental.full()}
        assert all(r.result == "ok" and r.kind == "full" for r in first.values())
        assert first[ENTERPRISE].counts == {"i": 3, "u": 0, "d": 0}
        # each record's operation is that of its last change: the chemical enterprise's risk came after it registered
        assert first[CHEMICAL].counts == {"i": 1, "u": 1, "d": 0}
        assert first[PERSONNEL].counts["i"] == 2 and first[CHECK].counts["i"] == 1
        assert first[PLAN].counts["i"] == 1 and first[PLAN_OBJECT].counts["i"] == 1
        script = (tmp_path / "a" / f"{ENTERPRISE}_his.sql").read_text(encoding="utf-8")
        assert script.count("INSERT INTO jg_jgdx_qyjbxx") == 1 and codes["metal"] in script

        second_day(ledger, codes)
        later = {r.table: r for r in full_then_incremental.run()}
        assert later[ENTERPRISE].counts == {"i": 1, "u": 2, "d": 1}, later[ENTERPRISE].summary()
        assert later[ENTERPRISE].from_position == first[ENTERPRISE].to_position
        # renamed with a new risk (u), moved to machinery (d: out of the chemicals table), registered (i)
        assert later[CHEMICAL].counts == {"i": 1, "u": 1, "d": 1}
        assert later[MINE].counts == {"i": 1, "u": 0, "d": 1}  # in the mine table now; the metallurgy one deregistered
        assert later[PERSONNEL].counts == {"i": 0, "u": 0, "d": 1}
        assert later[PLAN_OBJECT].counts == {"i": 0, "u": 0, "d": 1} and later[PLAN].counts == {"i": 0, "u": 1, "d": 0}
        assert later[CHECK].result == "empty"
        assert later[ENTERPRISE].batch_number == "2026120100002"  # the day's second batch of the table
        assert all(r.result in ("ok", "empty") for r in only_incremental.run())

        exchanger(ledger, b, tmp_path / "b").full()
        fresh = everything(b)
        assert everything(a) == fresh
        assert everything(c) == fresh
        rows = fresh[ENTERPRISE]
        assert rows[codes["metal"]]["cd_operation"] == "d" and rows[codes["metal"]]["data_up_status"] == "D"
        assert rows[codes["metal"]]["regstate"] == "2"
        assert rows[codes["chemical"]]["cd_operation"] == "u"
        assert rows[codes["chemical"]]["entname"] == "登封市示范化工股份有限公司"
        assert all(r["cd_source"] == "410000" for r in rows.values())
        personnel = fresh[PERSONNEL]
        assert {r["name"]: r["cd_operation"] for r in personnel.values()} == {"dengfeng-sup": "i", "zz-sup": "d"}
        assert {r["dept_name"] for r in personnel.values()} == {"登封市应急管理局", "郑州市应急管理局"}
        [check] = fresh[CHECK].values()
        assert check["administrative_cp_ui_code"] == codes["chemical"] and check["check_personnel"] == "dengfeng-sup"
        assert check["check_mode"] == "电话督促、现场检查" and check["check_type"] == "风险辨识"
        [plan] = fresh[PLAN].values()
        assert plan["object_count"] == 0 and plan["plan_period"] == "2026-12"
        for url, used in ((a, full_then_incremental), (c, only_incremental)):
            assert all(r.ok for r in used.reconcile()), [(r.table, r.missing, r.unexpected, r.differing)
                                                         for r in used.reconcile()]


@pytest.mark.parametrize("front_kind", ["postgres", "mariadb"])
def test_a_killed_exchanger_and_a_failing_table_resume_without_duplicates_or_gaps(front_kind: str, tmp_path: Path) -> None:
    with ledger_on("postgres", tmp_path) as ledger, frontend_on(front_kind) as a, frontend_on(front_kind) as b:
        codes = first_day(ledger)
        exchanger(ledger, a, tmp_path / "a").run()
        second_day(ledger, codes)
        # 1. killed (SIGKILL) inside the transaction of its second table, after one row of it
        worker = Path(__file__).with_name("exchange_crash_worker.py")
        ledger_url = str(ledger.runner.engine.url.render_as_string(hide_password=False))
        done = subprocess.run([sys.executable, str(worker), ledger_url, a, CHEMICAL], capture_output=True, text=True,
                              timeout=120, env=os.environ | {"PYTHONPATH": str(Path.cwd())})
        assert done.returncode == -9, done.stderr[-2000:]
        marks = FrontendExchange(create_engine(a), CATALOGUE.tables).all_watermarks()
        head = LiveTables(ledger.runner.engine, [MinistryProjection()]).run(["ministry"], lambda s: s.positions["ministry"])
        assert marks[ENTERPRISE].position == head  # the first table's batch committed
        assert marks[CHEMICAL].position < head  # the second's did not: its watermark is the old one
        # 2. a table whose batch raises mid-way: logged as failed, the others go on
        def fail(table: str, written: int) -> None:
            if table == PERSONNEL:
                raise RuntimeError("injected failure after the first chunk")

        results = {r.table: r for r in exchanger(ledger, a, tmp_path / "a", Hooks(after_chunk=fail), chunk=1).run()}
        assert results[PERSONNEL].result == "failed" and "injected failure" in (results[PERSONNEL].error or "")
        assert results[CHEMICAL].result == "ok" and results[CHEMICAL].counts["d"] == 1
        assert results[PLAN_OBJECT].result == "ok"
        again = {r.table: r for r in exchanger(ledger, a, tmp_path / "a").run()}
        assert again[PERSONNEL].result == "ok" and again[PERSONNEL].counts == {"i": 0, "u": 0, "d": 1}
        assert all(again[t].result == "empty" for t in again if t != PERSONNEL)
        exchanger(ledger, b, tmp_path / "b").full()
        assert everything(a) == everything(b)
        with ledger.runner.engine.connect() as conn:
            logged = conn.execute(select(exchange_log.exchange_log)).mappings().all()
        assert [r["table_name"] for r in logged if r["result"] == "failed"] == [PERSONNEL]
        assert not [r for r in logged if r["result"] == "recovered"]  # the kill hit before the front-end commit
        status = {r["table"]: r for r in exchanger(ledger, a, tmp_path / "a").status()}
        assert status[PERSONNEL]["lag_positions"] == 0 and status[PERSONNEL]["last_failure"] is None
        assert status[ENTERPRISE]["next_run"] is not None and status[ENTERPRISE]["pending_rows"] == 0


@pytest.mark.parametrize("front_kind", ["postgres", "mariadb"])
def test_the_completeness_check_reports_a_planted_bad_row_and_reconcile_a_planted_difference(
        front_kind: str, tmp_path: Path) -> None:
    with ledger_on("postgres", tmp_path) as ledger, frontend_on(front_kind) as a:
        codes = first_day(ledger)
        used = exchanger(ledger, a, tmp_path / "a")
        used.full()
        # an industry no code list knows, written as no command would
        enterprise = ledger.services.enterprises.get(codes["chemical"])
        enterprise._details_changed(changes={"industry": "coal"}, at=NOW, meta=meta())
        ledger.services.ledger.save(enterprise)
        ledger.catch_up()
        results = {r.table: r for r in used.run()}
        batch = results[ENTERPRISE]
        assert batch.held_back == 1 and batch.counts == {"i": 0, "u": 0, "d": 0} and batch.result == "ok"
        found = batch.findings.as_json()
        assert found["rows_with_findings"] == 1 and found["held_back"] == 1
        fields = {(f["field"], f["kind"]): f for f in found["by_field"]}
        assert fields[("industryco", "not_in_code_list")]["examples"] == [[codes["chemical"], "coal"]]
        assert ("supervise_industry", "not_in_code_list") in fields
        with ledger.runner.engine.connect() as conn:
            logged = conn.execute(select(exchange_log.exchange_log).where(
                exchange_log.exchange_log.c.table_name == ENTERPRISE)).mappings().all()
        assert logged[-1]["findings"]["by_field"] and logged[-1]["held_back"] == 1
        # the front-end keeps the last complete row; reconcile does not call the held-back row a difference
        assert front_rows(a, ENTERPRISE)[codes["chemical"]]["industryco"] == "C26"
        [report] = used.reconcile(ENTERPRISE)
        assert report.ok and report.held_back == 1
        # planted: a changed value, a deleted row, a row nobody sent
        engine = create_engine(a)
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE {ENTERPRISE} SET entname = 'changed by hand' WHERE cd_id = :k"),
                         {"k": codes["other"]})
            conn.execute(text(f"DELETE FROM {ENTERPRISE} WHERE cd_id = :k"), {"k": codes["metal"]})
            conn.execute(text(f"UPDATE {ENTERPRISE} SET cd_id = '91410000FAKE00000X' WHERE cd_id = :k"),
                         {"k": codes["chemical"]})
        engine.dispose()
        [report] = used.reconcile(ENTERPRISE)
        assert report.differing == [codes["other"]] and report.missing == [codes["metal"]]
        assert report.unexpected == ["91410000FAKE00000X"] and not report.ok
        assert report.staging_rows == 2 and report.frontend_rows == 2


def test_the_cli_runs_full_incremental_reconcile_and_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from api.cli import app

    with ledger_on("postgres", tmp_path) as ledger, frontend_on("mariadb") as a:
        first_day(ledger)
        monkeypatch.setenv("LEDGER_DATABASE_URL", ledger.runner.engine.url.render_as_string(hide_password=False))
        monkeypatch.setenv("LEDGER_FRONTEND_URL", a)
        monkeypatch.setenv("LEDGER_FRONTEND_ROOT", str(tmp_path / "front"))

        def run(*args: str) -> tuple[int, str]:
            result = CliRunner().invoke(app, ["exchange", *args])
            return result.exit_code, result.output

        code, out = run("full", "--table", ENTERPRISE)
        assert code == 0 and "2026" in out and (tmp_path / "front" / f"{ENTERPRISE}_his.sql").exists(), out
        code, out = run("run")
        assert code == 0 and PERSONNEL in out, out
        code, out = run("reconcile")
        assert code == 0 and "DIFFERS" not in out, out
        code, out = run("status", "--json")
        rows = {r["table"]: r for r in json.loads(out)}
        assert code == 0 and rows[ENTERPRISE]["lag_positions"] == 0 and rows[ENTERPRISE]["last_batch"], out
        assert run("run", "--table", "no_such_table")[0] == 2
        engine = create_engine(a)
        with engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {PERSONNEL}"))
        engine.dispose()
        code, out = run("reconcile", "--table", PERSONNEL)
        assert code == 1 and "missing in the front-end" in out, out


def test_the_scheduler_logs_a_failing_table_once_and_goes_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from projections.ministry.tables import Frequency
    from schedulers.exchange import ExchangeScheduler

    with ledger_on("postgres", tmp_path) as ledger, frontend_on("postgres") as a:
        first_day(ledger)

        def fail(table: str, written: int) -> None:
            if table == PERSONNEL:
                raise RuntimeError("refused by the front-end")

        used = exchanger(ledger, a, tmp_path / "a", Hooks(after_chunk=fail))
        scheduler = ExchangeScheduler(used)
        with caplog.at_level("INFO", logger="ledger.exchange"):
            first = {r.table: r.result for r in scheduler.run_frequency(Frequency.DAILY)}
            second = {r.table: r.result for r in scheduler.run_frequency(Frequency.DAILY)}
            used.hooks = Hooks()
            third = {r.table: r.result for r in scheduler.run_frequency(Frequency.DAILY)}
        assert first[PERSONNEL] == second[PERSONNEL] == "failed" and third[PERSONNEL] == "ok"
        assert first[ENTERPRISE] == "ok" and second[ENTERPRISE] == "empty"
        errors = [r for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1 and "refused by the front-end" in errors[0].getMessage()
        assert any("works again" in r.getMessage() for r in caplog.records)
        assert scheduler.run_frequency(Frequency.HOURLY) == []  # no hourly table is ours


def test_serve_runs_the_exchange_only_when_a_front_end_is_set(tmp_path: Path) -> None:
    from api.bootstrap import bootstrap
    from api.settings import Settings

    def parts(**settings: Any) -> list[str]:
        built = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'serve.db'}", jwt_secret="x" * 40,
                                   projections="off", reminders="off", seal="off", **settings))
        try:
            return [p.name for p in built.runtime.parts]
        finally:
            built.close()

    assert "exchange" not in parts()
    front = "mysql+pymysql://root@127.0.0.1:3306/nowhere"  # not connected until a run
    assert "exchange" in parts(frontend_url=front)
    assert "exchange" not in parts(frontend_url=front, exchange="off")


def test_a_batch_whose_ledger_log_row_was_lost_is_logged_again_as_recovered(tmp_path: Path) -> None:
    """A crash between the front-end commit and the ledger's log row: the next run copies it back."""
    with ledger_on("postgres", tmp_path) as ledger, frontend_on("postgres") as a:
        first_day(ledger)
        used = exchanger(ledger, a, tmp_path / "a")
        written = {r.table: r.batch_number for r in used.run() if r.result == "ok"}
        with ledger.runner.engine.begin() as conn:
            conn.execute(exchange_log.exchange_log.delete())
        assert all(r.result == "empty" for r in used.run())
        with ledger.runner.engine.connect() as conn:
            logged = conn.execute(select(exchange_log.exchange_log)).mappings().all()
        assert {r["table_name"]: r["batch_number"] for r in logged} == written
        assert {r["result"] for r in logged} == {"recovered"}
        assert all(r["checksum"] and r["to_position"] > 0 for r in logged)
