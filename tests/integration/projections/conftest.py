"""A fresh ledger per test on SQLite (a file) and on PostgreSQL (a new database), and helpers to
compare read-model tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.ledger import PERSISTENCE_MODULE, group_commit_services, open_ledger
from sqlalchemy import select
from sqlalchemy.engine import Engine

from domain.ledger import Ledger
from domain.services import LedgerServices
from projections.registry import all_projections
from projections.schema import generation_tables
from projections.tracking import read_rows
from tests.support.postgres import fresh_database

ENV = PERSISTENCE_MODULE


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        with fresh_database("ledger_proj") as url:
            yield url


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    with open_ledger(ledger_url) as app:
        yield app


@pytest.fixture
def runner(ledger: Ledger) -> Iterator["ProjectionRunner"]:
    """A projection runner on the test's ledger with every projection's tables in place."""
    from projections.runner import ProjectionRunner

    built = ProjectionRunner(ledger)
    built.ensure_current()
    yield built
    built.close()


@pytest.fixture
def services(ledger: Ledger) -> Iterator[LedgerServices]:
    with group_commit_services(ledger) as services:
        yield services


def read_model(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every live read-model table's rows, sorted, keyed by template name (generation-independent)."""
    projections = all_projections()
    with engine.connect() as conn:
        rows = read_rows(conn, [p.name for p in projections])
        result: dict[str, list[tuple[Any, ...]]] = {}
        for projection in projections:
            for name, table in generation_tables(projection.tables, rows[projection.name].generation).items():
                result[name] = sorted(tuple(_plain(v) for v in row) for row in conn.execute(select(table)))
    return result


def _plain(value: Any) -> Any:
    """JSON columns as text so rows can be sorted and compared."""
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value
