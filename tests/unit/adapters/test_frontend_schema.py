"""The front-end adapter turns declarations into each dialect's DDL, index named per the standard."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.dialects.mysql import mariadb
from sqlalchemy.schema import CreateIndex, CreateTable

from adapters.frontend.ftp import shown
from adapters.frontend.schema import build, index_name_limit
from projections.ministry.catalogue import CATALOGUE


def test_postgresql_names_the_primary_key_constraint_with_the_standards_index_name() -> None:
    dialect = postgresql.dialect()
    table = build([CATALOGUE["jg_jgdx_qyjbxx"]], dialect).tables["jg_jgdx_qyjbxx"]
    ddl = str(CreateTable(table).compile(dialect=dialect))
    assert 'CONSTRAINT "I_jg_jgdx_qyjbxx_cd_id" PRIMARY KEY (cd_id)' in ddl
    assert "uniscid VARCHAR(18) NOT NULL" in ddl and "register_time TIMESTAMP WITHOUT TIME ZONE NOT NULL" in ddl
    assert not table.indexes


@pytest.mark.parametrize("dialect", [mysql.dialect(), mariadb.loader("pymysql")()], ids=["mysql", "mariadb"])
def test_mysql_adds_a_unique_index_with_the_name_and_utf8mb4(dialect) -> None:
    table = build([CATALOGUE["jg_jgxw_check_action"]], dialect).tables["jg_jgxw_check_action"]
    ddl = str(CreateTable(table).compile(dialect=dialect))
    assert "ENGINE=InnoDB" in ddl and "CHARSET=utf8mb4" in ddl and "PRIMARY KEY (cd_id)" in ddl and "check_date DATETIME" in ddl
    [index] = table.indexes
    assert str(CreateIndex(index).compile(dialect=dialect)) == \
        "CREATE UNIQUE INDEX `I_jg_jgxw_check_action_cd_id` ON jg_jgxw_check_action (cd_id)"


def test_index_name_limits_are_the_index_limits_not_the_alias_limits() -> None:
    assert index_name_limit(mysql.dialect()) == 64  # SQLAlchemy's max_identifier_length there is 255
    assert index_name_limit(postgresql.dialect()) == 63


def test_ftp_urls_are_shown_without_their_password() -> None:
    assert shown("ftp://ledger:s%40cret@10.1.2.3:2121/up") == "ftp://ledger@10.1.2.3:2121/up"
