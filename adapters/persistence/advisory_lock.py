"""A PostgreSQL session advisory lock that elects one leader among a deployment's processes.

Background followers (the NATS relay, the projection worker) run in every `ledger serve` worker
process and in separate `ledger ... run` processes; only the one holding the lock works, the others
stand by and take over when its session ends (crash, shutdown, lost connection). The lock lives as
long as one dedicated AUTOCOMMIT connection, so it never blocks or is released by a transaction.
On other databases (SQLite: one process) the lock is always granted.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.engine import Connection, Engine


class AdvisoryLock:
    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        digest = hashlib.sha256(name.encode()).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)
        self._conn: Connection | None = None

    @property
    def applies(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @property
    def held(self) -> bool:
        return self._conn is not None or not self.applies

    def try_acquire(self) -> bool:
        """Take the lock if free (True), or return False at once. Idempotent while held."""
        if self.held:
            return True
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({self.key})").scalar())
        except BaseException:
            conn.close()
            raise
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def still_held(self) -> bool:
        """Whether the lock's session is alive (a dropped connection has released the lock)."""
        if self._conn is None:
            return not self.applies
        try:
            self._conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:  # noqa: BLE001 - the session is gone, and the lock with it
            self._discard()
            return False

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({self.key})")
        except Exception:  # noqa: BLE001 - discard the session instead: that releases the lock
            conn.invalidate()
        conn.close()

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.invalidate()
            conn.close()
