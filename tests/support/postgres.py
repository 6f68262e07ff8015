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


def unreachable_reason(timeout_seconds: int = 3) -> str | None:
    """Why PostgreSQL cannot be reached (one line), or None when it answers. Asked once before a
    run so that a stopped server fails the run in seconds, not test by test for minutes."""
    engine = create_engine(ADMIN_URL, connect_args={"connect_timeout": timeout_seconds})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return None
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        return " ".join(str(getattr(error, "orig", error)).split())[:300]
    finally:
        engine.dispose()


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
