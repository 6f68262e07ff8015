"""The runner on SQLite and PostgreSQL: concurrent runners, topic filters, version changes,
rebuilds that swap while queries keep answering, and a follower under concurrent writers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from eventsourcing.utils import get_topic
from sqlalchemy import Column, Integer, MetaData, String, Table, inspect

from bench.catchup import fill
from domain.enterprises.aggregate import Enterprise
from domain.ledger import Ledger
from domain.services import LedgerServices
from projections.analytics.queries import Analytics
from projections.register.projection import RegisterProjection
from projections.registry import all_projections
from projections.runner import ProjectionRunner
from tests.integration.projections import scenario
from projections.tracking import read_rows
from tests.integration.projections.conftest import read_model

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("pipelined", [True, False], ids=["pipelined", "in-turn"])
def test_two_runners_at_once_apply_every_event_exactly_once(ledger: Ledger, pipelined: bool) -> None:
    fill(ledger, 3000)
    runners = [ProjectionRunner(ledger, batch_size=40, pipelined=pipelined) for _ in range(2)]
    runners[0].ensure_current()
    barrier = threading.Barrier(2)

    def run(runner: ProjectionRunner) -> int:
        barrier.wait()
        return runner.catch_up()

    try:
        with ThreadPoolExecutor(2) as pool:
            applied = list(pool.map(run, runners))
        together = read_model(runners[0].engine)
        for projection in all_projections():
            runners[0].rebuild(projection.name)  # one runner alone, from the start, into fresh tables
        alone = read_model(runners[0].engine)
    finally:
        for runner in runners:
            runner.close()
    assert together == alone
    log = ledger.recorder.select_notifications(start=1, limit=10_000)
    handled = sum(sum(1 for n in log if n.topic in set(p.topics)) for p in all_projections())
    assert sum(applied) == handled  # no event applied twice, none skipped
    if ledger.recorder.datastore.engine.dialect.name == "postgresql":
        if pipelined:
            # A pipelined batch was prepared from positions read before the lock: the runner that
            # finds a row moved throws its batch away and reads again; they did contend.
            assert sum(r.restarts for r in runners) > 0
        else:
            assert min(applied) > 0  # row locks are granted in turn: both runners did part of the work


def test_tracking_advances_past_events_of_other_topics(ledger: Ledger, services: LedgerServices) -> None:
    """A projection reading one topic still moves to the head, so it never reads the rest again."""
    counter = _RegistrationCounter()
    scenario.run(services, enterprises=2)
    runner = ProjectionRunner(ledger, [counter], batch_size=3)
    try:
        assert runner.catch_up() == 2
        status = runner.status()[0]
        assert status["position"] == status["head"] == ledger.recorder.max_notification_id()
        assert runner.catch_up() == 0
    finally:
        runner.close()


def test_a_version_change_rebuilds_on_start_and_old_code_stops_writing(ledger: Ledger, services: LedgerServices) -> None:
    scenario.run(services, enterprises=3)
    old = ProjectionRunner(ledger, batch_size=10)
    try:
        old.catch_up()
        before = read_model(old.engine)
        new = ProjectionRunner(ledger, [_RegistersV2(), *all_projections()[1:]], batch_size=10)
        new.ensure_current()
        status = {s["name"]: s for s in new.status()}
        assert (status["registers"]["version"], status["registers"]["generation"]) == (_RegistersV2.version, 2)
        assert status["registers"]["lag"] == 0
        assert read_model(new.engine) == before  # same logic, rebuilt into generation 2
        tables = set(inspect(new.engine).get_table_names())
        assert "rm_risks_g2" in tables and "rm_risks_g1" not in tables  # the old generation is dropped
        services.enterprises.register(scenario.ctx(), scenario.EnterpriseSpec(
            scenario.credit(77, "410185"), "新企业", "410185", "machinery", "county", "张伟", "13800138000", scenario.T0))
        # The older code does not write into the newer registers' tables; it still keeps the
        # others that read a registration (drilldown, scan facts, ...; same versions in both) current.
        readers = [p for p in all_projections()[1:] if get_topic(Enterprise.Registered) in p.topics]
        assert old.catch_up() == len(readers) >= 2
        assert new.catch_up() == 1  # the registers, version 2
        new.close()
    finally:
        old.close()


def test_rebuild_swaps_while_queries_keep_answering(ledger: Ledger) -> None:
    fill(ledger, 2000)
    runner = ProjectionRunner(ledger, batch_size=50)
    analytics = Analytics(runner.engine)
    runner.catch_up()
    expected = analytics.drilldown("410000", None, date(2025, 1, 1), date(2025, 12, 31), NOW)["totals"]
    answers: list[dict] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def ask() -> None:
        while not done.is_set():
            try:
                answers.append(analytics.drilldown("410000", None, date(2025, 1, 1), date(2025, 12, 31), NOW)["totals"])
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

    asker = threading.Thread(target=ask)
    asker.start()
    progress: list[tuple[int, int]] = []
    try:
        for _ in range(2):
            runner.rebuild("registers", lambda position, head: progress.append((position, head)))
            runner.rebuild("activity")
    finally:
        done.set()
        asker.join()
        runner.close()
    assert not errors, errors[:1]
    assert len(answers) > 3 and all(answer == expected for answer in answers)
    assert progress[-1][0] == progress[-1][1] == ledger.recorder.max_notification_id()


def test_a_follower_misses_no_event_while_eight_writers_commit(ledger_url: str) -> None:
    from adapters.persistence.group_commit import GroupCommitter
    from domain.services import ledger_services
    from tests.integration.test_group_commit import a_risk, an_enterprise, ctx

    env = {"PERSISTENCE_MODULE": "adapters.persistence.lean_recorder", "SQLALCHEMY_URL": ledger_url}
    writers = 8 if ledger_url.startswith("postgresql") else 2
    ledgers = [Ledger(env=env) for _ in range(writers)]
    committers = [GroupCommitter(app) for app in ledgers]
    for committer in committers:
        committer.start()
    reader = Ledger(env=env)
    runner = ProjectionRunner(reader, batch_size=25)
    stop = threading.Event()
    follower = threading.Thread(target=runner.run_forever, args=(stop, 0.01))
    try:
        services = [ledger_services(app, c) for app, c in zip(ledgers, committers, strict=True)]
        code = an_enterprise(services[0])
        follower.start()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: services[i % writers].risks.identify(ctx(), code, a_risk(f"R-{i}")), range(400)))
        head = reader.recorder.max_notification_id()
        for _ in range(600):
            if all(s["position"] >= head for s in runner.status()):
                break
            stop.wait(0.05)
    finally:
        stop.set()
        follower.join(timeout=60)
        for committer in committers:
            committer.stop()
    tables = read_model(runner.engine)
    runner.close()
    for app in [*ledgers, reader]:
        app.close()
    assert sum(row[2] for row in tables["rm_daily_activity"]) == 400  # risks_identified, every one once
    assert len(tables["rm_risks"]) == 400


# --- test projections -----------------------------------------------------------------------------

_counts = Table("t_registrations", MetaData(), Column("credit_code", String(18), primary_key=True),
                Column("position", Integer, nullable=False))


class _RegistrationCounter:
    name = "test_registrations"
    version = 1
    tables = (_counts,)
    topics = (get_topic(Enterprise.Registered),)

    def apply(self, store, tables, events):
        store.insert_new(tables["t_registrations"], [{"credit_code": e.credit_code, "position": p} for p, e in events])


class _RegistersV2(RegisterProjection):
    version = RegisterProjection.version + 1


def test_catch_up_in_processes_equals_one_runner(ledger: Ledger, ledger_url: str) -> None:
    from api.projections_cli import catch_up_child
    from projections.parallel import catch_up_in_processes

    fill(ledger, 1500)
    runner = ProjectionRunner(ledger, batch_size=100)
    try:
        runner.ensure_current()
        applied = catch_up_in_processes(catch_up_child, {"database_url": ledger_url}, batch_size=100)
        assert set(applied) == {p.name for p in all_projections()}
        written = {n.topic for n in ledger.recorder.select_notifications(start=1, limit=100_000)}
        # every projection that reads what the fill wrote applied some (the fill raises no reminder, plans nothing)
        assert all(applied[p.name] for p in all_projections() if set(p.topics) & written), applied
        assert all(s["lag"] == 0 for s in runner.status())
        parallel = read_model(runner.engine)
        for projection in all_projections():
            runner.rebuild(projection.name)
        assert read_model(runner.engine) == parallel
    finally:
        runner.close()


def test_a_rebuild_compacts_its_tables_before_the_swap(ledger: Ledger) -> None:
    """Catch-up rewrites rows batch after batch; the rebuilt generation is rewritten compactly."""
    if ledger.recorder.datastore.engine.dialect.name != "postgresql":
        pytest.skip("VACUUM FULL: PostgreSQL only")
    fill(ledger, 3000)
    runner = ProjectionRunner(ledger, batch_size=40)
    try:
        runner.ensure_current()
        runner.catch_up()
        runner.rebuild("drilldown")
        with runner.engine.connect() as conn:
            generation = read_rows(conn, ["drilldown"])["drilldown"].generation
        assert generation > 1
        rebuilt = f"rm_drilldown_facts_g{generation}"
        # Compared with a compact copy of the same rows, not with the first generation: how much
        # space a batch-by-batch build leaves depends on when page pruning and autovacuum ran on a
        # loaded machine (once 65,536 bytes, against 57,344 compacted), so that size is no fixed
        # yardstick. A VACUUM FULL leaves the table within a page of its compact copy.
        assert _relation_size(runner, rebuilt) <= _compact_size(runner, rebuilt) + 8192
    finally:
        runner.close()


def _compact_size(runner: ProjectionRunner, table: str) -> int:
    with runner.engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE TEMP TABLE compact_copy AS SELECT * FROM "{table}"')
        size = int(conn.exec_driver_sql("SELECT pg_relation_size('compact_copy')").scalar_one())
        conn.exec_driver_sql("DROP TABLE compact_copy")
        return size


def _relation_size(runner: ProjectionRunner, table: str) -> int:
    with runner.engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT pg_relation_size('{table}')").scalar_one())
