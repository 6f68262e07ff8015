"""Shared fixtures. Integration tests run against the real PostgreSQL and a SQLite file."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.crypto.passwords import hash_password
from api.app import create_app
from api.bootstrap import Services, bootstrap
from api.settings import Settings
from domain.identity.commands import UserSpec
from domain.shared.commands import CommandContext
from domain.shared.meta import Meta
from tests.support.clock import FakeClock
from tests.support.postgres import ADMIN_URL, fresh_database, unreachable_reason

PASSWORD = "correct horse battery"


def _needs_postgres(item: pytest.Item) -> bool:
    return ("postgres" in item.nodeid or item.get_closest_marker("postgres") is not None
            or "/integration/" in item.nodeid or "/e2e/" in item.nodeid or item.nodeid.startswith(("tests/integration", "tests/e2e")))


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Fail the whole run at once, in one line, when PostgreSQL is down: its tests are never skipped,
    and erroring them one by one took minutes and tens of thousands of lines of tracebacks."""
    if any(_needs_postgres(item) for item in items) and (reason := unreachable_reason()) is not None:
        pytest.exit(f"PostgreSQL is unreachable at {ADMIN_URL} ({reason}); start it "
                    "(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set "
                    "LEDGER_TEST_PG_URL. The PostgreSQL tests are never skipped.", returncode=3)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """One PostgreSQL database for the session; tests use unique business codes inside it."""
    with fresh_database() as url:
        yield url


def database_url(backend: str, pg_url: str, tmp_path: Path) -> str:
    return pg_url if backend == "postgres" else f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def services(request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path) -> Iterator[Services]:
    url = database_url(request.param, request.getfixturevalue("pg_url") if request.param == "postgres" else "", tmp_path)
    settings = Settings(database_url=url, jwt_secret="test-secret-" + uuid.uuid4().hex, subscription_check_seconds=0,
                        user_check_seconds=0, projections="off",  # read-model tests catch up explicitly (deterministic)
                        reminders="off", sms_gateway=f"file:{tmp_path / 'sms.jsonl'}")  # scans are run by the tests
    built = bootstrap(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services)) as test_client:
        yield test_client


def cli_context(services: Services) -> CommandContext:
    return CommandContext(Meta("test", "cli", services.clock(), uuid.uuid4().hex, uuid.uuid4().hex))


_HASH = hash_password(PASSWORD)


def add_user(services: Services, role: str, **scope: object) -> str:
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    services.write.users.add(cli_context(services), UserSpec(username, role, **scope), _HASH)  # type: ignore[arg-type]
    return username


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/sessions", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
