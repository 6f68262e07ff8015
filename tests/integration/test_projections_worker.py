"""The projection worker in `ledger serve` and `ledger projections run|status|rebuild`, on real databases."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.bootstrap import Services, bootstrap
from api.cli import app
from api.settings import Settings
from domain.enterprises.commands import EnterpriseSpec
from domain.ledger import Ledger
from domain.shared.commands import CommandContext
from domain.shared.meta import Meta
from projections.register.queries import Registers
from projections.registry import all_projections
from schedulers.projection_worker import ProjectionWorker
from tests.support.builders import a_credit_code
from tests.support.postgres import fresh_database


def register(services: Services, count: int) -> None:
    for _ in range(count):
        request = uuid.uuid4().hex
        services.write.enterprises.register(
            CommandContext(Meta("test", "cli", services.clock(), request, request)),
            EnterpriseSpec(a_credit_code(), "郑州示范化工有限公司", "410185", "hazardous_chemicals", "county", "张伟",
                           "13800000000", services.clock()),
        )


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def enterprises_in_read_model(services: Services) -> int:
    try:
        return Registers(services.engine).counts()["rm_enterprises"]
    except Exception:  # noqa: BLE001 - not built yet
        return -1


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def status_rows() -> dict[str, dict]:
    code, out = run("projections", "status", "--json", "--sample", "0")
    assert code == 0, out
    return {row["name"]: row for row in map(json.loads, out.strip().splitlines())}


def test_serve_keeps_the_read_models_current_in_the_background(database: str) -> None:
    services = bootstrap(Settings(database_url=database, jwt_secret="worker-test", projection_poll_seconds=0.05))
    with TestClient(create_app(services)) as client:
        assert "projections" in services.runtime.running
        register(services, 3)
        eventually(lambda: enterprises_in_read_model(services) == 3)
        register(services, 2)
        eventually(lambda: enterprises_in_read_model(services) == 5)
        eventually(lambda: all(r["lag"] == 0 for r in client.get("/healthz").json()["read_models"].values()))
        health = client.get("/healthz").json()
        assert set(health["read_models"]) == {p.name for p in all_projections()}
        assert health["read_models"]["registers"]["position"] == health["log_head"]
    assert services.runtime.running == []  # stopped with the app


def test_serve_without_projections_leaves_them_to_a_separate_worker(database: str) -> None:
    services = bootstrap(Settings(database_url=database, jwt_secret="worker-test", projections="off"))
    with TestClient(create_app(services)):
        assert "projections" not in services.runtime.running and "group-commit" in services.runtime.running
        register(services, 2)
    services.close()
    code, out = run("projections", "run", "--once")
    assert code == 0, out
    rows = status_rows()
    assert set(rows) == {p.name for p in all_projections()}
    assert all(row["lag"] == 0 and row["position"] == row["head"] > 0 for row in rows.values())


def test_rebuild_swaps_in_a_new_generation_with_the_same_rows(database: str) -> None:
    services = bootstrap(Settings(database_url=database, projections="off"))
    try:
        register(services, 4)
    finally:
        services.close()
    assert run("projections", "run", "--once")[0] == 0
    before = status_rows()["registers"]
    code, out = run("projections", "rebuild", "registers")
    assert code == 0, out
    assert "rebuilt and swapped in" in out
    after = status_rows()["registers"]
    assert after["generation"] == before["generation"] + 1
    assert after["position"] == before["position"]
    services = bootstrap(Settings(database_url=database))
    try:
        assert Registers(services.engine).counts()["rm_enterprises"] == 4
    finally:
        services.close()


def test_rebuild_of_an_unknown_projection_fails_with_the_known_names(database: str) -> None:
    code, out = run("projections", "rebuild", "nope")
    assert code == 2
    assert "no projection 'nope'" in out and "registers" in out


def test_only_one_worker_of_a_deployment_leads_and_another_takes_over(tmp_path: Path) -> None:
    with fresh_database() as url:
        env = Settings(database_url=url).eventsourcing_env()
        ledgers = [Ledger(env=env), Ledger(env=env)]
        workers = [ProjectionWorker(ledger, poll_interval=0.05, standby_interval=0.1) for ledger in ledgers]
        try:
            workers[0].start()
            eventually(workers[0].leading.is_set)
            workers[1].start()
            time.sleep(0.5)
            assert not workers[1].leading.is_set()  # standing by
            workers[0].stop()
            eventually(workers[1].leading.is_set)
        finally:
            for worker in workers:
                worker.stop()
            for ledger in ledgers:
                ledger.close()
