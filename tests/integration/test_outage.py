"""A PostgreSQL restart, simulated on a private database without touching the shared server: its
sessions are killed server-side and new connections refused for a while.

- The first request after a restart succeeds (pooled connections are checked before use).
- Under load from several threads through the HTTP app, every request is answered 2xx or 503
  (never 500), every acknowledged command is in the log afterwards, and the first request after
  the database is back succeeds.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient

from adapters.nats.relay import NatsRelay
from adapters.persistence.availability import is_database_unavailable
from adapters.persistence.group_commit import GroupCommitter
from api.app import create_app
from api.bootstrap import Services, bootstrap
from api.settings import Settings
from tests.conftest import add_user, cli_context, login
from tests.e2e.helpers import client_token, register_enterprise
from tests.support.builders import enterprise_body, risk_body
from tests.support.clock import FakeClock
from tests.support.nats import SHARED_URL, delete_stream, unique_stream
from tests.support.outage import allow_connections, database_down, terminate_connections
from tests.support.postgres import fresh_database


@pytest.fixture
def private(clock: FakeClock) -> Iterator[tuple[str, Services]]:
    with fresh_database("ledger_outage") as url:
        settings = Settings(database_url=url, jwt_secret="test-secret-" + uuid.uuid4().hex, projections="off",
                            subscription_check_seconds=0.2)
        services = bootstrap(settings, clock=clock)
        try:
            yield url, services
        finally:
            services.close()


def test_the_first_command_after_a_restart_succeeds(private: tuple[str, Services]) -> None:
    url, services = private
    register_enterprise(services)  # the pool now holds connections...
    assert terminate_connections(url) >= 1  # ...that the "restart" kills
    register_enterprise(services)  # must not fail on a dead pooled connection
    assert services.events.head() == 2


def test_no_acknowledged_command_is_lost_across_a_restart_under_load(
    private: tuple[str, Services], caplog: pytest.LogCaptureFixture
) -> None:
    url, services = private
    stop = threading.Event()
    acknowledged: list[tuple[int, str, int]] = []  # (position, aggregate id, version) answered 201
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        admin = login(client, add_user(services, "admin"))
        _, system = client_token(client, services, register_enterprise(services))

        def load(worker: int) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                if n % 3 == 0:
                    response = client.post("/api/v1/enterprises", json=enterprise_body(), headers=admin)
                else:
                    response = client.post("/api/v1/risks", json=risk_body(f"R-{worker}-{n}"), headers=system)
                with lock:
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    if response.status_code == 201:
                        body = response.json()
                        aggregate_id = body.get("risk_id") or body["enterprise_id"]
                        acknowledged.append((body["position"], aggregate_id, body["version"]))
                    else:
                        assert response.status_code == 503, response.text
                        time.sleep(0.05)

        with ThreadPoolExecutor(4) as pool:
            workers = [pool.submit(load, i) for i in range(4)]
            time.sleep(1.0)
            allow_connections(url, False)
            terminate_connections(url)
            time.sleep(2.0)
            terminate_connections(url)  # sessions opened just before the block
            allow_connections(url, True)
            time.sleep(1.0)
            stop.set()
            for worker in workers:
                worker.result(timeout=30)

        first_after = client.post("/api/v1/enterprises", json=enterprise_body(), headers=admin)
        assert first_after.status_code == 201, first_after.text

    assert set(statuses) <= {201, 503}, statuses
    assert statuses.get(503, 0) > 0 and statuses.get(201, 0) > 10, statuses
    stored = {(n.id, str(n.originator_id), n.originator_version)
              for n in services.ledger.recorder.select_notifications(1, 1_000_000)}
    missing = [a for a in acknowledged if a not in stored]
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged commands are not in the log"
    tracebacks = [r for r in caplog.records if r.exc_info is not None]
    assert not tracebacks, [f"{r.name}: {r.getMessage()}" for r in tracebacks]


class Thing(Aggregate):
    """Any aggregate: the committer stores whatever it is handed."""


def test_an_outage_fails_a_whole_group_commit_at_once(
    private: tuple[str, Services], caplog: pytest.LogCaptureFixture
) -> None:
    """Each caller gets the outage (-> 503) straight away: no retry of each command alone, which
    would only fail again and log a line per batch for as long as the outage lasts."""
    url, services = private
    caplog.set_level(logging.INFO)
    committer = GroupCommitter(services.ledger, linger=0.5)  # all eight share one batch
    committer.start()
    try:
        with database_down(url), ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(committer.commit, Thing(), cli_context(services)) for _ in range(8)]
            errors = [f.exception(timeout=10) for f in futures]
        assert all(e is not None and is_database_unavailable(e) for e in errors), errors
        assert not [r for r in caplog.records if "one by one" in r.getMessage()]
        receipt = committer.commit(Thing(), cli_context(services))  # and it writes again afterwards
        assert receipt.position is not None
    finally:
        committer.stop()


def test_a_session_killed_under_the_recorders_raw_cursor_leaves_no_traceback(
    private: tuple[str, Services], caplog: pytest.LogCaptureFixture
) -> None:
    """The hot paths use a bare psycopg2 cursor, so SQLAlchemy does not see the disconnect; the
    dead connection must not go back to the pool (whose reset would log a traceback for it)."""
    _, services = private
    recorder: Any = services.ledger.recorder
    with pytest.raises(OperationalError) as raised:
        with recorder._raw_cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    assert is_database_unavailable(raised.value)
    assert not [r for r in caplog.records if r.exc_info is not None], [r.getMessage() for r in caplog.records]
    register_enterprise(services)  # the pool is fine


def test_background_workers_log_an_outage_once_not_a_traceback_per_retry(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The projection worker, the call-log writer and the NATS relay all retry through an outage;
    each says so once when it starts and once when it ends, and all catch up afterwards."""
    stream = unique_stream()
    caplog.set_level(logging.INFO)
    with fresh_database("ledger_outage") as url:
        settings = Settings(database_url=url, jwt_secret="test-secret-" + uuid.uuid4().hex, projections="background",
                            projection_poll_seconds=0.1, nats_url=SHARED_URL, nats_stream=stream.name,
                            nats_subject_prefix=stream.subject_prefix, subscription_check_seconds=0)
        services = bootstrap(settings, clock=clock)
        try:
            with TestClient(create_app(services), raise_server_exceptions=False) as client:
                _, system = client_token(client, services, register_enterprise(services))
                assert client.post("/api/v1/risks", json=risk_body(), headers=system).status_code == 201
                with database_down(url):
                    for _ in range(10):  # each refused call is still queued for the call log
                        assert client.post("/api/v1/risks", json=risk_body(), headers=system).status_code == 503
                        time.sleep(0.25)
                assert client.post("/api/v1/risks", json=risk_body(), headers=system).status_code == 201
                head = services.events.head()
                eventually(lambda: all(r["lag"] == 0 for r in client.get("/healthz").json()["read_models"].values())
                           and client.get("/healthz").json()["log_head"] == head)
                assert services.call_log.flush(timeout=15)
                relay = NatsRelay(services.ledger, services.engine, SHARED_URL, stream=stream.name,
                                  subject_prefix=stream.subject_prefix)
                eventually(lambda: relay.status()["lag"] == 0)
        finally:
            services.close()
            asyncio.run(delete_stream(SHARED_URL, stream.name))

    lines = [r.getMessage() for r in caplog.records if r.name == "ledger.availability"]
    for component in ("api", "projections", "call log writer", "relay nats"):
        down = [line for line in lines if line.startswith(f"database unreachable ({component},")]
        back = [line for line in lines if line.startswith(f"database reachable again ({component},")]
        assert len(down) == 1 and len(back) == 1, (component, lines)
    tracebacks = [r for r in caplog.records if r.exc_info is not None]
    assert not tracebacks, [f"{r.name}: {r.getMessage()}" for r in tracebacks]
    warnings = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) <= 16, warnings


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_a_connection_killed_before_it_returns_to_the_pool_leaves_no_traceback(
    private: tuple[str, Services], caplog: pytest.LogCaptureFixture
) -> None:
    """SQLAlchemy logs a traceback when the rollback on return fails; for a connection the server
    closed, that is the outage the monitors already report."""
    url, services = private
    pooled = services.engine.raw_connection()
    pooled.cursor().execute("SELECT 1")  # a transaction is open: the pool rolls it back on return
    terminate_connections(url)
    pooled.close()
    assert not [r for r in caplog.records if r.exc_info is not None], [r.getMessage() for r in caplog.records]
    register_enterprise(services)
