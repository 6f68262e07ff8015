"""Fixtures of the end-to-end tests beyond the shared ones (tests/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services, bootstrap
from api.settings import Settings
from tests.support.clock import FakeClock
from tests.support.postgres import fresh_database


@pytest.fixture(params=["sqlite", "postgres"])
def own_ledger(request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path) -> Iterator[tuple[TestClient, Services]]:
    """An app on a ledger of its own. The supervision rules are one per deployment and a scan reads
    every enterprise, so tests that publish rules or follow a scan exactly must not share the
    session's database. SMS go to `tmp_path / "sms.jsonl"`."""
    with ExitStack() as stack:
        url = (stack.enter_context(fresh_database()) if request.param == "postgres"
               else f"sqlite:///{tmp_path / 'own.db'}")
        built = bootstrap(Settings(database_url=url, jwt_secret="own-ledger-secret-of-more-than-32-bytes",
                                   projections="off", reminders="off", user_check_seconds=0,
                                   subscription_check_seconds=0, sms_gateway=f"file:{tmp_path / 'sms.jsonl'}",
                                   client_token_lifetime_minutes=60 * 24 * 90),  # the clock moves by weeks
                          clock=clock)
        stack.callback(built.close)
        yield stack.enter_context(TestClient(create_app(built))), built


@pytest.fixture
def private(clock: FakeClock) -> Iterator[tuple[str, Services]]:
    """A ledger on a PostgreSQL database of its own (URL and services), for tests that stop their
    database: blocking it must not disturb the other tests' shared one. No background parts."""
    with fresh_database("ledger_outage") as url:
        settings = Settings(database_url=url, jwt_secret="test-secret-" + uuid.uuid4().hex, projections="off",
                            reminders="off", subscription_check_seconds=0, user_check_seconds=0)
        services = bootstrap(settings, clock=clock)
        try:
            yield url, services
        finally:
            services.close()
