"""Processes starting together race to create the ledger's tables: losing that race is no error.

Seen in CI: parallel catch-up children both checked that `relay_tracking` was missing, one created
it, the other's CREATE failed ("table relay_tracking already exists") and its catch-up died."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, event, inspect
from sqlalchemy.exc import DBAPIError

from adapters.persistence.tables import create_missing
from tests.conftest import database_url


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    url = database_url(request.param, request.getfixturevalue("pg_url") if request.param == "postgres" else "", tmp_path)
    engine = create_engine(url)
    yield engine
    engine.dispose()


def _table(name: str) -> Table:
    return Table(name, MetaData(), Column("id", Integer, primary_key=True))


def test_a_table_created_by_another_process_between_check_and_create_is_no_error(engine) -> None:
    name = f"race_{uuid.uuid4().hex[:8]}"
    ours, theirs = _table(name), _table(name)

    @event.listens_for(ours, "before_create")
    def _the_other_process_wins(target, connection, **kw) -> None:  # after our check, before our CREATE
        theirs.create(engine)

    create_missing(engine, [ours])

    assert inspect(engine).has_table(name)
    ours.drop(engine)


def test_a_create_that_fails_for_another_reason_still_raises(engine) -> None:
    broken = _table(f"broken_{uuid.uuid4().hex[:8]}")

    @event.listens_for(broken, "before_create")
    def _fail(target, connection, **kw) -> None:
        connection.exec_driver_sql("SELECT no_such_column FROM no_such_table")

    with pytest.raises(DBAPIError):
        create_missing(engine, [broken])
    assert not inspect(engine).has_table(broken.name)
