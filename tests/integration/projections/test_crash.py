"""kill -9 mid-catch-up loses and duplicates nothing (PostgreSQL): a worker process catching up in
small batches is killed with SIGKILL several times at arbitrary moments, catch-up is restarted,
and every read-model table equals a clean rebuild from the start into fresh tables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.catchup import fill
from domain.ledger import Ledger
from projections.registry import all_projections
from projections.runner import ProjectionRunner
from tests.integration.projections.conftest import ENV, read_model
from tests.support.postgres import fresh_database

ROOT = Path(__file__).resolve().parents[3]
EVENTS = 20_000


@pytest.fixture
def pg_ledger() -> Iterator[tuple[str, Ledger]]:
    with fresh_database("ledger_crash") as url:
        app = Ledger(env={"PERSISTENCE_MODULE": ENV, "SQLALCHEMY_URL": url})
        yield url, app
        app.close()


def _positions(runner: ProjectionRunner) -> dict[str, int]:
    return {s["name"]: s["position"] for s in runner.status()}


def test_sigkill_mid_catch_up_loses_and_duplicates_nothing(pg_ledger: tuple[str, Ledger]) -> None:
    url, ledger = pg_ledger
    assert fill(ledger, EVENTS) == EVENTS  # many events per transaction, the domain's own events
    observer = ProjectionRunner(ledger)
    kills = []
    try:
        for target in (2_000, 7_000, 12_000):  # kill three times, further along each time
            worker = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.projections.crash_worker", url, "100"],
                cwd=ROOT, stdout=subprocess.PIPE, text=True,
            )
            assert worker.stdout is not None and worker.stdout.readline().strip() == "started"
            deadline = time.monotonic() + 120
            while min(_positions(observer).values()) < target and time.monotonic() < deadline:
                time.sleep(0.005)
            os.kill(worker.pid, signal.SIGKILL)  # wherever it is: reading, applying, committing
            worker.wait(timeout=30)
            assert worker.returncode == -signal.SIGKILL
            kills.append(_positions(observer))
        assert all(min(p.values()) < EVENTS for p in kills), kills  # each kill was mid-catch-up
        observer.catch_up()  # restart
        assert all(s["lag"] == 0 for s in observer.status())
        recovered = read_model(observer.engine)
        for projection in all_projections():
            observer.rebuild(projection.name)  # clean: position 0, fresh tables
        clean = read_model(observer.engine)
    finally:
        observer.close()
    assert set(recovered) == {t.name for p in all_projections() for t in p.tables}
    for name in clean:
        assert recovered[name] == clean[name], name
    assert len(clean["rm_enterprises"]) > 300 and sum(r[2] for r in clean["rm_daily_activity"]) > 1000
