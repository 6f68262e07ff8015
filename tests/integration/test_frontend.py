"""`ledger frontend init | check` against a real PostgreSQL and a real MariaDB, each test in a
database of its own (created and dropped here), and a local FTP server (pyftpdlib)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from adapters.frontend.database import FrontendDatabase
from adapters.frontend.ftp import check_ftp
from api.cli import app
from projections.ministry.catalogue import CATALOGUE
from projections.ministry.tables import Column, Fill, Frequency, Kind, Table
from tests.support import mariadb, postgres

BACKENDS = ["postgres", "mariadb"]


@pytest.fixture(params=BACKENDS)
def frontend_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh front-end database of each kind, set (with a root folder) for the CLI under test.
    The servers here run with 100 (PostgreSQL) and 151 (MariaDB) connections, below the
    standard's 300: tests that want a passing check ask for what the server has."""
    fresh = postgres.fresh_database if request.param == "postgres" else mariadb.fresh_database
    with fresh("ledger_frontend") as url:
        monkeypatch.setenv("LEDGER_FRONTEND_URL", url)
        monkeypatch.setenv("LEDGER_FRONTEND_ROOT", str(tmp_path / "frontend"))
        monkeypatch.setenv("LEDGER_FRONTEND_MIN_CONNECTIONS", str(min(max_connections(url), 300)))
        monkeypatch.delenv("LEDGER_FRONTEND_FTP", raising=False)
        yield url


def max_connections(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            sql = "SHOW max_connections" if engine.dialect.name == "postgresql" else "SELECT @@max_connections"
            return int(conn.execute(text(sql)).scalar())
    finally:
        engine.dispose()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["frontend", *args])
    return result.exit_code, result.output


def snapshot(url: str) -> dict[str, Any]:
    """Everything init could change: tables, columns with types, keys and indexes."""
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        return {t: ([(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(t)],
                    inspector.get_pk_constraint(t), sorted(i["name"] for i in inspector.get_indexes(t)))
                for t in sorted(inspector.get_table_names())}
    finally:
        engine.dispose()


def execute(url: str, sql: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def test_init_creates_every_table_index_and_folder_and_a_second_run_changes_nothing(frontend_url: str, tmp_path: Path) -> None:
    code, out = run("init")
    assert code == 0, out
    assert out.count("created table ") == len(CATALOGUE) and out.count("created index ") == len(CATALOGUE)
    first = snapshot(frontend_url)
    assert sorted(first) == sorted(t.name for t in CATALOGUE)
    assert {p.name for p in (tmp_path / "frontend").iterdir()} == {"task_attr_up", "pro_attr_up", "tsjb_attr_up"}

    code, out = run("init")
    assert code == 0, out
    assert "nothing to do: 53 tables" in out and "created" not in out
    assert snapshot(frontend_url) == first


def test_check_passes_after_init(frontend_url: str) -> None:
    assert run("init")[0] == 0
    code, out = run("check")
    assert code == 0, out
    for item in ("database reachable", "credentials", "character set", "max_connections", "tables", "columns",
                 "indexes", "folder task_attr_up", "folder pro_attr_up", "folder tsjb_attr_up"):
        assert item in out
    assert "fail" not in out


def test_the_primary_key_indexes_carry_the_standards_names(frontend_url: str) -> None:
    assert run("init")[0] == 0
    engine = create_engine(frontend_url)
    try:
        inspector = inspect(engine)
        pk = inspector.get_pk_constraint("jg_jgdx_qyjbxx")
        names = {pk["name"]} | {i["name"] for i in inspector.get_indexes("jg_jgdx_qyjbxx")}
        assert "I_jg_jgdx_qyjbxx_cd_id" in names and pk["constrained_columns"] == ["cd_id"]
    finally:
        engine.dispose()


# A province's own table with a long name (the standard's longest is 33 characters, too short to
# exceed 63/64 with its key): `I_<table>_cd_id` is 66 characters, `<table>_cd_id` 64.
LONG = Table("jg_jgdx_qykzxx_provincial_extension_for_fallback_test_0123", "测试", "测试",
             (Column("uniscid", "统一社会信用代码", Kind.VARCHAR, 18),), Frequency.DAILY, Fill.OTHER_SYSTEMS, "test")


def test_an_index_name_too_long_for_the_database_falls_back_to_table_and_key(frontend_url: str) -> None:
    database = FrontendDatabase(frontend_url)
    try:
        report = database.init([LONG], min_connections=1)
        limit = 64 if database.engine.dialect.name in ("mysql", "mariadb") else 63
    finally:
        database.close()
    assert len(f"I_{LONG.name}_cd_id") == 66 and len(f"{LONG.name}_cd_id") == 64
    expected = f"{LONG.name}_cd_id" if limit == 64 else LONG.index_name(63)
    assert report.created_indexes == [expected]
    engine = create_engine(frontend_url)
    try:
        inspector = inspect(engine)
        names = {inspector.get_pk_constraint(LONG.name)["name"]} | {i["name"] for i in inspector.get_indexes(LONG.name)}
        assert expected in names
    finally:
        engine.dispose()


def test_check_fails_when_a_table_is_missing_or_differs(frontend_url: str) -> None:
    assert run("init")[0] == 0
    execute(frontend_url, "DROP TABLE jg_zsk_law")
    execute(frontend_url, "ALTER TABLE jg_jgdx_qyjbxx ADD COLUMN extra_col INTEGER")
    code, out = run("check")
    assert code == 1
    assert "failed: tables: 1 of 53 missing: jg_zsk_law" in out
    assert "failed: columns: jg_jgdx_qyjbxx: undeclared column extra_col" in out
    code, out = run("init")  # creates the missing table; never alters an existing one
    assert code == 0 and "created table jg_zsk_law" in out
    assert "undeclared column extra_col" in run("check")[1]


def test_check_fails_on_an_unwritable_folder(frontend_url: str, tmp_path: Path) -> None:
    assert run("init")[0] == 0
    folder = tmp_path / "frontend" / "pro_attr_up"
    folder.rmdir()
    folder.write_text("a file where the folder should be")
    code, out = run("check")
    assert code == 1
    assert f"failed: folder pro_attr_up: {folder} is not a folder" in out


def test_too_few_connections_warn_in_init_and_fail_the_check_naming_the_setting(
        frontend_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    server = max_connections(frontend_url)
    monkeypatch.setenv("LEDGER_FRONTEND_MIN_CONNECTIONS", str(server + 1))
    code, out = run("init")
    assert code == 0, out
    assert f"warning: max_connections is {server}, the standard asks for at least {server + 1}" in out
    code, out = run("check")
    assert code == 1
    fix = "SET GLOBAL max_connections" if frontend_url.startswith("mysql") else "ALTER SYSTEM SET max_connections"
    assert f"failed: max_connections: max_connections is {server}" in out and fix in out


def test_a_wrong_password_gives_a_clear_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with mariadb.fresh_database("ledger_frontend") as url:
        wrong = make_url(url).set(password="not-the-password").render_as_string(hide_password=False)
        monkeypatch.setenv("LEDGER_FRONTEND_URL", wrong)
        monkeypatch.setenv("LEDGER_FRONTEND_ROOT", str(tmp_path))
        code, out = run("check")
        assert code == 1
        assert "failed: credentials: credentials refused for user 'root'" in out
        assert "check the user and password in LEDGER_FRONTEND_URL" in out
        assert "not-the-password" not in out
        code, out = run("init")
        assert code == 1 and "error: credentials refused for user 'root'" in out


def test_an_unknown_user_on_postgresql_is_refused_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with postgres.fresh_database("ledger_frontend") as url:
        monkeypatch.setenv("LEDGER_FRONTEND_URL", make_url(url).set(username="nobody_here", password="x")
                           .render_as_string(hide_password=False))
        monkeypatch.setenv("LEDGER_FRONTEND_ROOT", str(tmp_path))
        code, out = run("check")
        assert code == 1 and "failed: credentials: credentials refused for user 'nobody_here'" in out


def test_an_unreachable_server_is_named_with_its_address(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEDGER_FRONTEND_URL", "mysql+pymysql://root@127.0.0.1:1/frontend")
    monkeypatch.setenv("LEDGER_FRONTEND_ROOT", str(tmp_path))
    code, out = run("check")
    assert code == 1 and "failed: database reachable: cannot connect to 127.0.0.1:1" in out


# --- FTP ------------------------------------------------------------------------------------------

@dataclass
class Ftp:
    port: int
    root: Path


@pytest.fixture
def ftp_server(tmp_path: Path) -> Iterator[Ftp]:
    root = tmp_path / "ftp"
    root.mkdir()
    authorizer = DummyAuthorizer()
    authorizer.add_user("ledger", "s3cret", str(root), perm="elradfmw")
    authorizer.add_user("reader", "s3cret", str(root), perm="elr")
    handler = type("Handler", (FTPHandler,), {"authorizer": authorizer, "auth_failed_timeout": 0.1})
    server = FTPServer(("127.0.0.1", 0), handler)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield Ftp(server.address[1], root)
    finally:
        stop.set()
        thread.join(5)
        server.close_all()


def test_ftp_reachable_login_and_writable(ftp_server: Ftp) -> None:
    rows = check_ftp(f"ftp://ledger:s3cret@127.0.0.1:{ftp_server.port}/")
    assert [(r.item, r.status) for r in rows] == [("FTP reachable", "ok"), ("FTP login", "ok"), ("FTP writable", "ok")]
    assert list(ftp_server.root.iterdir()) == []  # the probe is gone


def test_ftp_failures_say_which_step_failed(ftp_server: Ftp) -> None:
    rows = check_ftp(f"ftp://reader:s3cret@127.0.0.1:{ftp_server.port}/")
    assert rows[-1].item == "FTP writable" and rows[-1].status == "fail" and "grant write permission" in rows[-1].detail
    rows = check_ftp(f"ftp://ledger:wrong@127.0.0.1:{ftp_server.port}/")
    assert (rows[1].item, rows[1].status) == ("FTP login", "fail") and "wrong" not in rows[1].detail
    rows = check_ftp("ftp://ledger:s3cret@127.0.0.1:1/")
    assert (rows[0].item, rows[0].status) == ("FTP reachable", "fail")


def test_check_includes_the_ftp_service_when_set(frontend_url: str, ftp_server: Ftp, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("init")[0] == 0
    monkeypatch.setenv("LEDGER_FRONTEND_FTP", f"ftp://ledger:s3cret@127.0.0.1:{ftp_server.port}/")
    code, out = run("check")
    assert code == 0, out
    assert "FTP writable" in out and "s3cret" not in out
    monkeypatch.setenv("LEDGER_FRONTEND_FTP", f"ftp://reader:s3cret@127.0.0.1:{ftp_server.port}/")
    code, out = run("check")
    assert code == 1 and "failed: FTP writable" in out


def test_the_mariadb_dialect_url_creates_utf8mb4_innodb_tables_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with mariadb.fresh_database("ledger_frontend") as url:
        monkeypatch.setenv("LEDGER_FRONTEND_URL", url.replace("mysql+pymysql://", "mariadb+pymysql://"))
        monkeypatch.setenv("LEDGER_FRONTEND_ROOT", str(tmp_path))
        monkeypatch.setenv("LEDGER_FRONTEND_MIN_CONNECTIONS", "1")
        assert run("init")[0] == 0
        code, out = run("check")
        assert code == 0, out
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT DISTINCT engine, table_collation FROM information_schema.tables "
                                         "WHERE table_schema = DATABASE()")).all()
        finally:
            engine.dispose()
        assert rows == [("InnoDB", "utf8mb4_unicode_ci")]
