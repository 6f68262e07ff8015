"""The `ledger` CLI against real databases: users from stdin, the enterprise CSV import."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.bootstrap import bootstrap
from api.cli import app
from api.settings import Settings
from tests.support.builders import a_credit_code


def run(*args: str, stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def head(url: str) -> int:
    services = bootstrap(Settings(database_url=url))
    try:
        return services.events.head()
    finally:
        services.close()


def test_users_add_reads_the_password_from_stdin_and_hashes_it(database: str) -> None:
    code, out = run("users", "add", "alice", "--role", "admin", stdin="a long password\n")
    assert code == 0, out
    services = bootstrap(Settings(database_url=database))
    try:
        user = services.write.users.find("alice")
        assert user is not None and user.password_hash.startswith("$argon2")
        assert "a long password" not in user.password_hash
    finally:
        services.close()


def test_a_supervisor_gets_a_mobile_for_sms_reminders(database: str) -> None:
    code, out = run("users", "add", "zz-sup", "--role", "supervisor", "--region", "410185", "--mobile", "13900000001",
                    stdin="a long password\n")
    assert code == 0, out
    assert run("users", "mobile", "zz-sup", "13900000002")[0] == 0
    code, out = run("users", "mobile", "zz-sup", "123")
    assert code == 1 and "not a mobile number" in out
    services = bootstrap(Settings(database_url=database))
    try:
        assert services.write.users.find("zz-sup").mobile == "13900000002"
    finally:
        services.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("users", "add", "bob", "--role", "wizard"), "unknown role"),
        (("users", "add", "bob", "--role", "admin", "--mobile", "555"), "not a mobile number"),
        (("users", "add", "bob", "--role", "supervisor"), "region"),
        (("users", "add", "bob", "--role", "enterprise", "--enterprise", "91410185MA4400008T"), "not registered"),
    ],
)
def test_bad_user_input_exits_non_zero_with_a_message_and_writes_nothing(database: str, args: tuple, message: str) -> None:
    before = head(database)
    code, out = run(*args, stdin="a long password\n")
    assert code != 0
    assert message in out
    assert head(database) == before


def test_short_password_is_refused(database: str) -> None:
    code, out = run("users", "add", "carol", "--role", "auditor", stdin="short\n")
    assert code != 0 and "at least 8" in out


def test_enterprise_import_reports_bad_rows_imports_good_ones_and_is_repeatable(database: str, tmp_path: Path) -> None:
    good1, good2 = a_credit_code(), a_credit_code()
    csv_file = tmp_path / "enterprises.csv"
    csv_file.write_text(
        "credit_code,name,region_code,industry,supervision_level,safety_officer_name,safety_officer_mobile,registered_at\n"
        f"{good1},甲化工,410185,hazardous_chemicals,county,张伟,13800138000,2026-01-05T09:00:00+08:00\n"
        "91350100M000100Y4Z,坏校验码,410185,machinery,county,李强,13800138001,2026-01-05T09:00:00+08:00\n"
        f"{good2},乙矿业,410100,non_coal_mine,city,王磊,13800138002,2026-01-05T09:00:00+08:00\n"
        f"{a_credit_code()},丙公司,999999,unknown,county,赵敏,12345,not a date\n",
        encoding="utf-8",
    )
    code, out = run("enterprises", "import", str(csv_file))
    assert code == 1
    assert f"{csv_file}:3: credit_code" in out
    assert f"{csv_file}:5: registered_at" in out
    assert "read 5 lines: 1 header, 2 imported, 0 unchanged, 0 skipped (blank), 2 rejected" in out

    before = head(database)
    code, out = run("enterprises", "import", str(csv_file))
    assert "read 5 lines: 1 header, 0 imported, 2 unchanged, 0 skipped (blank), 2 rejected" in out
    assert head(database) == before


def test_import_refuses_a_file_without_the_required_columns(database: str, tmp_path: Path) -> None:
    csv_file = tmp_path / "wrong.csv"
    csv_file.write_text("code,name\nx,y\n", encoding="utf-8")
    code, out = run("enterprises", "import", str(csv_file))
    assert code == 1 and "missing columns" in out


def test_subscription_secret_is_handed_over_once_on_the_command_line(database: str) -> None:
    from datetime import UTC, datetime

    services = bootstrap(Settings(database_url=database))
    try:
        with services.engine.begin() as conn:
            from sqlalchemy.orm import Session

            session = Session(bind=conn)
            services.handover.put_in(session, "sub-1", "s3cret-value", datetime.now(UTC))
            session.flush()
    finally:
        services.close()
    code, out = run("subscriptions", "secret", "sub-1")
    assert code == 0 and "s3cret-value" in out
    code, out = run("subscriptions", "secret", "sub-1")
    assert code == 1 and "shown already" in out and "s3cret-value" not in out
