"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import fresh_database


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database of each kind, also set as LEDGER_DATABASE_URL for the CLI under test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
        monkeypatch.setenv("LEDGER_DATABASE_URL", url)
        yield url
    else:
        with fresh_database() as url:
            monkeypatch.setenv("LEDGER_DATABASE_URL", url)
            yield url
