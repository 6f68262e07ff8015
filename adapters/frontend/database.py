"""The front-end database (数据接入前置机) through SQLAlchemy: PostgreSQL or MySQL/MariaDB.

`init` creates what is missing (tables, primary-key indexes) and never alters or drops what exists,
so running it again changes nothing. `check` is the connectivity test of seed 2.3.1.2 as rows of
(item, status, detail). The server's settings (UTF-8, at least 300 connections, seed 2.3.1.3) are
warnings for `init`, which still creates the tables, and failures for `check`: a site can create
its tables before the DBA raises the limit, but the exchange is not ready until it is.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from adapters.frontend.schema import TableSpec, build, column_differences, index_name_limit, index_names, is_mysql

Status = Literal["ok", "fail", "skip"]
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}


@dataclass(frozen=True, slots=True)
class CheckRow:
    item: str
    status: Status
    detail: str


class FrontendUnavailable(RuntimeError):
    """The front-end database cannot be used; the message says why and what to do."""


@dataclass
class InitReport:
    created_tables: list[str] = field(default_factory=list)
    created_indexes: list[str] = field(default_factory=list)
    existing_tables: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created_tables or self.created_indexes)


class FrontendDatabase:
    def __init__(self, url: str, *, connect_timeout: int = 5) -> None:
        self.url: URL = make_url(url)
        backend = self.url.get_backend_name()
        if backend not in DEFAULT_PORTS:
            raise FrontendUnavailable(f"{backend} is not supported for the front-end database: use "
                                      "postgresql+psycopg2://, mysql+pymysql:// or mariadb+pymysql://")
        args: dict[str, Any] = {"connect_timeout": connect_timeout}
        if backend in ("mysql", "mariadb"):
            args["charset"] = "utf8mb4"
        self.engine: Engine = create_engine(self.url, connect_args=args, pool_pre_ping=True)

    @property
    def shown_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # --- connection ------------------------------------------------------------------------------

    def reachable(self, timeout: float = 5.0) -> CheckRow:
        host = self.url.host or "localhost"
        port = self.url.port or DEFAULT_PORTS[self.url.get_backend_name()]
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return CheckRow("database reachable", "ok", f"{host}:{port} accepts connections")
        except OSError as error:
            return CheckRow("database reachable", "fail", f"cannot connect to {host}:{port} ({error.strerror or error}): "
                            "is the server running, and does the firewall let this machine in?")

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A connection, or FrontendUnavailable naming what is wrong (host, credentials, database)."""
        try:
            conn = self.engine.connect()
        except (OperationalError, DBAPIError) as error:
            raise FrontendUnavailable(self._explain(error)) from None
        try:
            yield conn
        finally:
            conn.close()

    def _explain(self, error: DBAPIError) -> str:
        orig = getattr(error, "orig", error)
        message = " ".join(str(orig).split())
        code = orig.args[0] if getattr(orig, "args", None) and isinstance(orig.args[0], int) else None
        user, database = self.url.username or "(none)", self.url.database or "(none)"
        lowered = message.lower()
        if code in (1045,) or "password authentication failed" in lowered or "no password supplied" in lowered \
                or ("role" in lowered and "does not exist" in lowered):
            return (f"credentials refused for user {user!r} at {self.shown_url}: check the user and password "
                    f"in LEDGER_FRONTEND_URL ({message})")
        if code in (1049,) or (f'database "{database}" does not exist' in lowered):
            return (f"database {database!r} does not exist at {self.shown_url}: create it "
                    f"({self._create_hint()}) or fix LEDGER_FRONTEND_URL")
        if code == 1044:
            return f"user {user!r} may not use database {database!r}: GRANT ALL ON `{database}`.* TO it ({message})"
        return f"cannot connect to {self.shown_url}: {message}"

    def _create_hint(self) -> str:
        name = self.url.database
        if is_mysql(self.engine.dialect):
            return f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        return f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"

    # --- server settings (seed 2.3.1.3) ----------------------------------------------------------

    def server_settings(self, conn: Any, min_connections: int) -> list[CheckRow]:
        if is_mysql(self.engine.dialect):
            charset = conn.execute(text("SELECT @@character_set_database")).scalar()
            limit = int(conn.execute(text("SELECT @@max_connections")).scalar())
            charset_ok = str(charset).lower() == "utf8mb4"
            charset_fix = (f"ALTER DATABASE `{self.url.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci, "
                           "and character-set-server = utf8mb4 under [mysqld] in my.cnf (utf8 holds 3 bytes only)")
            limit_fix = (f"SET GLOBAL max_connections = {min_connections}, and max_connections = {min_connections} "
                         "under [mysqld] in my.cnf so it survives a restart")
        else:
            charset = conn.execute(text("SELECT pg_encoding_to_char(encoding) FROM pg_database "
                                        "WHERE datname = current_database()")).scalar()
            limit = int(conn.execute(text("SHOW max_connections")).scalar())
            charset_ok = str(charset).upper() in ("UTF8", "UTF-8")
            charset_fix = ("an encoding cannot be changed: create the database again with ENCODING 'UTF8' "
                           "TEMPLATE template0")
            limit_fix = (f"ALTER SYSTEM SET max_connections = {min_connections} (or max_connections = "
                         f"{min_connections} in postgresql.conf), then restart PostgreSQL")
        rows = [CheckRow("character set", "ok" if charset_ok else "fail",
                         f"{charset}" if charset_ok else f"the database's character set is {charset}, UTF-8 is required: {charset_fix}"),
                CheckRow("max_connections", "ok" if limit >= min_connections else "fail",
                         f"{limit} (at least {min_connections})" if limit >= min_connections else
                         f"max_connections is {limit}, the standard asks for at least {min_connections}: {limit_fix}")]
        return rows

    # --- init and check --------------------------------------------------------------------------

    def init(self, specs: Sequence[TableSpec], *, min_connections: int) -> InitReport:
        """Create the missing tables and primary-key indexes; report the server settings to change."""
        report = InitReport()
        metadata = build(specs, self.engine.dialect)
        with self.connection() as conn:
            report.warnings = [r.detail for r in self.server_settings(conn, min_connections) if r.status != "ok"]
            inspector = inspect(conn)
            present = set(inspector.get_table_names())
            for spec in specs:
                table = metadata.tables[spec.name]
                name = spec.index_name(index_name_limit(self.engine.dialect))
                if spec.name in present:
                    report.existing_tables.append(spec.name)
                    if is_mysql(self.engine.dialect) and name not in index_names(inspector, spec.name):
                        next(i for i in table.indexes if i.name == name).create(conn)
                        report.created_indexes.append(name)
                    continue
                table.create(conn)
                report.created_tables.append(spec.name)
                report.created_indexes.append(name)
            conn.commit()
        return report

    def check(self, specs: Sequence[TableSpec], *, min_connections: int) -> list[CheckRow]:
        rows = [self.reachable()]
        if rows[0].status != "ok":
            return rows + [CheckRow(item, "skip", "not checked: the server is unreachable")
                           for item in ("credentials", "character set", "max_connections", "tables", "columns", "indexes")]
        try:
            with self.connection() as conn:
                rows.append(CheckRow("credentials", "ok", f"logged in as {self.url.username!r} to {self.url.database!r}"))
                rows += self.server_settings(conn, min_connections)
                rows += self._schema(conn, specs)
        except FrontendUnavailable as error:
            rows.append(CheckRow("credentials", "fail", str(error)))
            rows += [CheckRow(item, "skip", "not checked: no connection")
                     for item in ("character set", "max_connections", "tables", "columns", "indexes")]
        return rows

    def _schema(self, conn: Any, specs: Sequence[TableSpec]) -> list[CheckRow]:
        inspector = inspect(conn)
        present = set(inspector.get_table_names())
        limit = index_name_limit(self.engine.dialect)
        missing = [s.name for s in specs if s.name not in present]
        differences: list[str] = []
        bad_indexes: list[str] = []
        for spec in specs:
            if spec.name not in present:
                continue
            differences += [f"{spec.name}: {p}" for p in column_differences(spec, inspector.get_columns(spec.name))]
            key = tuple(c.lower() for c in inspector.get_pk_constraint(spec.name).get("constrained_columns", []))
            if key != tuple(spec.primary_key):
                differences.append(f"{spec.name}: primary key is ({', '.join(key)}), declared ({', '.join(spec.primary_key)})")
            name = spec.index_name(limit)
            if name not in index_names(inspector, spec.name):
                bad_indexes.append(f"{spec.name}: no index {name}")
        if is_mysql(self.engine.dialect) and present:
            wrong = conn.execute(text(
                "SELECT table_name, table_collation FROM information_schema.tables WHERE table_schema = DATABASE() "
                "AND table_collation NOT LIKE 'utf8mb4%'")).all()
            differences += [f"{t}: collation {c}, utf8mb4 required (ALTER TABLE {t} CONVERT TO CHARACTER SET utf8mb4)"
                            for t, c in wrong if t in {s.name for s in specs}]
        fix = " Run `ledger frontend init` to create what is missing."
        return [
            CheckRow("tables", "fail" if missing else "ok",
                     f"{len(missing)} of {len(specs)} missing: {', '.join(missing[:5])}"
                     f"{' …' if len(missing) > 5 else ''}.{fix}" if missing else f"all {len(specs)} present"),
            CheckRow("columns", "fail" if differences else "ok",
                     "; ".join(differences[:5]) + (f" … ({len(differences)} in all)" if len(differences) > 5 else "")
                     + (" The declarations are in docs/ministry-exchange.md; an existing table is never altered by init."
                        if differences else "") if differences else
                     f"names, types and lengths as declared in {len(specs) - len(missing)} tables"),
            CheckRow("indexes", "fail" if bad_indexes else "ok",
                     "; ".join(bad_indexes[:5]) + fix if bad_indexes else
                     f"primary-key indexes named per the standard (identifier limit {limit})"),
        ]
