"""The store's row cache (projections/store.py): what it answers itself, what it asks the database."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, insert

from projections.store import RowCache, Store

_rows = Table("t_rows", MetaData(), Column("key", String, primary_key=True), Column("n", Integer, nullable=False))


@pytest.fixture
def conn():
    engine = create_engine("sqlite://")
    _rows.create(engine)
    with engine.begin() as conn:
        conn.execute(insert(_rows), [{"key": "a", "n": 1}, {"key": "b", "n": 2}])
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        conn.info["statements"] = statements
        yield conn


def test_fetched_rows_are_served_from_the_cache_the_next_time(conn) -> None:
    cache = RowCache()
    assert Store(conn, cache).fetch(_rows, "key", ["a", "x"]) == {"a": {"key": "a", "n": 1}}
    asked = len(conn.info["statements"])
    assert Store(conn, cache).fetch(_rows, "key", ["a"]) == {"a": {"key": "a", "n": 1}}
    assert len(conn.info["statements"]) == asked  # answered by the cache
    Store(conn, cache).fetch(_rows, "key", ["a", "b"])
    assert len(conn.info["statements"]) == asked + 1  # only "b" was asked for


def test_written_rows_replace_their_cache_entries_and_only_new_ones_are_kept_by_insert_ignore(conn) -> None:
    cache = RowCache()
    store = Store(conn, cache)
    store.fetch(_rows, "key", ["a", "b"])
    store.update_existing(_rows, [{"key": "a", "n": 10}])
    store.insert_new(_rows, [{"key": "c", "n": 3}])
    store.insert_ignore(_rows, [{"key": "b", "n": 99}, {"key": "d", "n": 4}])
    assert cache.cached_table("t_rows") == {
        "a": {"key": "a", "n": 10}, "b": {"key": "b", "n": 2}, "c": {"key": "c", "n": 3}, "d": {"key": "d", "n": 4},
    }
    assert Store(conn).fetch(_rows, "key", ["a", "b", "c", "d"]) == cache.cached_table("t_rows")  # as in the table


def test_increments_on_a_table_read_back_are_refused(conn) -> None:
    store = Store(conn, RowCache())
    store.fetch(_rows, "key", ["a"])
    with pytest.raises(ValueError, match="whole rows"):
        store.upsert(_rows, [{"key": "a", "n": 1}], add=("n",))


def test_the_cache_is_valid_only_at_the_position_and_generation_it_was_kept_at() -> None:
    cache = RowCache(limit=1)
    cache.keep(10, 1)
    assert cache.valid_at(10, 1) and not cache.valid_at(11, 1) and not cache.valid_at(10, 2)
    cache.cached_table("t").update({"a": {}, "b": {}})
    assert cache.full
    cache.clear()
    assert cache.rows == 0 and not cache.valid_at(10, 1)
