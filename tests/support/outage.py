"""A PostgreSQL outage for one private test database, without touching the shared server: its
connections are killed server-side and new ones refused until the block is lifted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from tests.support.postgres import _admin_engine


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def terminate_connections(url: str) -> int:
    """Kill every session on the database (as a PostgreSQL restart would); return how many."""
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
            ), {"name": database_name(url)}).all())
    finally:
        engine.dispose()


def allow_connections(url: str, allowed: bool) -> None:
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database_name(url)}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
    finally:
        engine.dispose()


@contextmanager
def database_down(url: str) -> Iterator[None]:
    """The database is unreachable inside the block: sessions killed, new connections refused."""
    allow_connections(url, False)
    try:
        terminate_connections(url)
        yield
    finally:
        allow_connections(url, True)
