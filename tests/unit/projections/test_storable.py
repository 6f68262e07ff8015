"""What read models store in place of what their databases cannot hold (projections/storable.py),
and which errors the failure policy blames on the events (projections/failures.py)."""

from __future__ import annotations

import sqlite3

import psycopg2
import pytest
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from projections import failures, storable
from projections.schema import risks
from projections.sql import _copy_text


def test_nul_and_lone_surrogates_become_the_replacement_character() -> None:
    assert storable.text("a\x00b\x00") == "a\ufffdb\ufffd"
    assert storable.text("s\ud800\udc00t") == "s\ufffd\ufffdt"
    clean = "液氯储罐区 😀"
    assert storable.text(clean) is clean


def test_json_values_are_cleaned_in_strings_and_keys_and_kept_when_clean() -> None:
    value = {"k\x00": ["a\x00", {"x": "\ud800"}, 1, None], "ok": "fine"}
    assert storable.json_value(value) == {"k\ufffd": ["a\ufffd", {"x": "\ufffd"}, 1, None], "ok": "fine"}
    clean = {"hazard_factors": ["泄漏"], "n": 1.5}
    assert storable.json_value(clean) is clean


def test_rows_are_cut_to_their_columns_and_copied_only_when_changed() -> None:
    row = {"risk_id": "r1", "name": "长" * 300, "location": "x\x00", "details": {"a": ["\x00"]}}
    [changed] = storable.rows(risks, [row])
    assert changed["name"] == "长" * 200
    assert changed["location"] == "x\ufffd"
    assert changed["details"] == {"a": ["\ufffd"]}
    assert row["name"] == "长" * 300  # the caller's row is left as it was
    clean = {"risk_id": "r2", "name": "n", "location": "l", "details": {}}
    assert storable.rows(risks, [clean])[0] is clean


def test_copy_text_holds_no_nul_no_surrogate_and_text_cut_to_length() -> None:
    assert storable.copy_bytes("a\x00\ud800\udc00b") == "a\ufffd\ufffd\ufffdb".encode()  # one for one
    row = {
        "risk_id": "r1", "enterprise_id": "e1", "risk_code": "R\x00", "name": "长" * 300, "location": "\ud800",
        "assessment_method": "lec", "assessment_score": 1.0, "inherent_level": 1, "level": 1, "status": "valid",
        "identified_at": None, "level_changed_at": None, "last_reported_at": None, "invalidated_at": None,
        "details": {"f": ["\x00", "\udc00"]}, "version": 1, "position": 1,
    }
    data = _copy_text(risks, [row | {k: _now() for k in ("identified_at", "level_changed_at", "last_reported_at")}])
    text = data.decode("utf-8")  # no lone surrogate left
    assert "\x00" not in text and "\\u0000" not in text
    fields = text.rstrip("\n").split("\t")
    assert fields[2] == "R\ufffd" and fields[3] == "长" * 200 and fields[4] == "\ufffd"
    assert fields[14] == '{"f":["\ufffd","\ufffd"]}'


def _now():  # noqa: ANN202
    from datetime import UTC, datetime

    return datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "error",
    [
        KeyError(9), ValueError("A string literal cannot contain NUL (0x00) characters."), TypeError("x"),
        UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), OverflowError("int too large"),
        DataError("INSERT", {}, psycopg2.DataError("value too long")), psycopg2.DataError("raw, from COPY"),
        IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE")), psycopg2.IntegrityError("duplicate key"),
    ],
)
def test_errors_of_the_events_or_the_fold_are_the_events_fault(error: BaseException) -> None:
    assert failures.event_at_fault(error)


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("SELECT", {}, psycopg2.OperationalError("server closed the connection")),
        psycopg2.OperationalError("could not connect"), psycopg2.extensions.TransactionRollbackError("deadlock"),
        sqlite3.OperationalError("database is locked"), psycopg2.InterfaceError("connection already closed"),
        ProgrammingError("SELECT", {}, psycopg2.ProgrammingError("relation does not exist")),
        PoolTimeout("QueuePool limit reached"), ConnectionResetError(), MemoryError(),
    ],
)
def test_errors_of_the_database_are_not(error: BaseException) -> None:
    assert not failures.event_at_fault(error)


def test_an_error_is_described_in_one_line_with_where_it_was_raised() -> None:
    try:
        raise ValueError("two\nlines\x00")
    except ValueError as error:
        described = failures.describe(error)
    assert described.startswith("ValueError: two lines\ufffd (")
    assert "test_storable.py:" in described
