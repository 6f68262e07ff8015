"""A real PostgreSQL database per test session (or per test), created and dropped by the tests.

Never skipped: when PostgreSQL is unreachable the fixture fails loudly, so CI cannot go green
without having run the PostgreSQL tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

ADMIN_URL = os.environ.get("LEDGER_TEST_PG_URL", "postgresql+psycopg2://root@127.0.0.1:5432/postgres")


def _admin_engine():  # noqa: ANN202
    return create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@contextmanager
def fresh_database(prefix: str = "ledger_test") -> Iterator[str]:
    """Yield the URL of a new, empty database; drop it afterwards (WITH FORCE)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001
        raise RuntimeError(
            f"PostgreSQL is required for the integration tests and is unreachable at {ADMIN_URL}: {error}"
        ) from error
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
