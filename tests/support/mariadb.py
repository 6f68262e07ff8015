"""A real MariaDB/MySQL database per test (the ministry front-end database may run on one),
created with utf8mb4 and dropped afterwards. Never skipped: when the server is unreachable the
fixture fails with what to do (`.ci/run` starts it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

ADMIN_URL = os.environ.get("LEDGER_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/")


@contextmanager
def fresh_database(prefix: str = "ledger_test") -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(ADMIN_URL, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    except Exception as error:  # noqa: BLE001
        engine.dispose()
        raise RuntimeError(
            f"MariaDB is required for the front-end database tests and is unreachable at {ADMIN_URL}: {error}; "
            "start it (service mariadb start) or set LEDGER_TEST_MARIADB_URL"
        ) from error
    try:
        yield ADMIN_URL.rstrip("/") + f"/{name}"
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        engine.dispose()
