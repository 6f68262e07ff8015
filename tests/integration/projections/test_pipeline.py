"""The row cache and the pipelined catch-up (projections/store.py, projections/pipeline.py): a
runner whose cached rows went stale reads again, a small cache gives the same read model, and a
write that fails in the writer thread surfaces and commits nothing of its batch."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

import pytest
from psycopg2.errors import UniqueViolation
from eventsourcing.utils import get_topic
from sqlalchemy import Column, MetaData, String, Table, select

from bench.catchup import generate
from domain.enterprises.aggregate import Enterprise
from domain.ledger import Ledger
from projections.registry import all_projections
from projections.runner import ProjectionRunner
from projections.schema import generation_tables
from projections.tracking import read_rows
from tests.integration.projections.conftest import read_model

MODES = pytest.mark.parametrize("pipelined", [True, False], ids=["pipelined", "in-turn"])


def _parts(ledger: Ledger, events: int, parts: int) -> Iterator[int]:
    """Write `events` generated events in `parts` slices; yields after each slice is in the log."""
    stored = [ledger.mapper.to_stored_event(e) for e in chain.from_iterable(generate(events))]
    size = -(-len(stored) // parts)
    for i in range(0, len(stored), size):
        ledger.recorder.insert_events(stored[i : i + size])
        yield i + size


def _rebuilt(runner: ProjectionRunner) -> dict:
    for projection in all_projections():
        runner.rebuild(projection.name)
    return read_model(runner.engine)


@MODES
def test_a_runner_whose_cached_rows_went_stale_reads_them_again(ledger: Ledger, pipelined: bool) -> None:
    """Runner A caches rows, runner B moves the same rows on, A continues: A must not write from
    its stale copies (the tracking position it finds is not the one it committed)."""
    a = ProjectionRunner(ledger, batch_size=200, pipelined=pipelined)
    b = ProjectionRunner(ledger, batch_size=200, pipelined=pipelined)
    try:
        a.ensure_current()
        slices = _parts(ledger, 3000, 3)  # one chunk of the generator's enterprises: the rows overlap
        next(slices)
        assert a.catch_up() > 0 and a._caches["registers"].rows > 0
        next(slices)
        assert b.catch_up() > 0
        next(slices)
        assert a.catch_up() > 0
        together = read_model(a.engine)
        assert together == _rebuilt(a)
    finally:
        a.close()
        b.close()


def test_pipelined_catch_up_with_a_small_cache_equals_catch_up_in_turn(pg_only_ledger: Ledger) -> None:
    """A cache limit far below the working set: the pipeline drains and drops it every few batches."""
    list(_parts(pg_only_ledger, 3000, 1))
    runner = ProjectionRunner(pg_only_ledger, batch_size=50, pipelined=True, cache_rows=40)
    in_turn = ProjectionRunner(pg_only_ledger, batch_size=500, pipelined=False)
    try:
        runner.ensure_current()
        assert runner.catch_up() > 0
        pipelined = read_model(runner.engine)
        assert pipelined == _rebuilt(in_turn)
        assert all(s["lag"] == 0 for s in runner.status())
    finally:
        runner.close()
        in_turn.close()


_keys = Table("t_batch_keys", MetaData(), Column("key", String(40), primary_key=True))


class _CollidingKeys:
    """Writes one row per batch keyed by the batch's first registration; from position `collide_at`
    on it writes the first batch's key again, which the primary key refuses in the writer thread."""

    name = "test_colliding_keys"
    version = 1
    tables = (_keys,)
    topics = (get_topic(Enterprise.Registered),)

    def __init__(self, collide_at: int) -> None:
        self.collide_at = collide_at
        self.first: str | None = None

    def apply(self, store, tables, events):
        position, event = events[0]
        key = event.credit_code if position < self.collide_at or self.first is None else self.first
        self.first = self.first or key
        store.fetch(tables["t_batch_keys"], "key", [key])  # a cached table: the error must clear it
        store.insert_new(tables["t_batch_keys"], [{"key": key}])


def test_a_write_failing_in_the_writer_thread_surfaces_and_commits_nothing_of_its_batch(pg_only_ledger: Ledger) -> None:
    list(_parts(pg_only_ledger, 3000, 1))
    registrations = [n.id for n in pg_only_ledger.recorder.select_notifications(start=1, limit=10_000)
                     if n.topic == get_topic(Enterprise.Registered)]
    projection = _CollidingKeys(collide_at=registrations[len(registrations) // 2])
    # Without the failure policy (projections/failures.py), which would set the colliding events aside.
    runner = ProjectionRunner(pg_only_ledger, [projection], batch_size=5, pipelined=True, set_aside_after=None)
    try:
        with pytest.raises(UniqueViolation):
            runner.catch_up()
        with runner.engine.connect() as conn:
            position = read_rows(conn, [projection.name])[projection.name].position
            table = generation_tables(projection.tables, 1)["t_batch_keys"]
            keys = conn.execute(select(table.c.key)).scalars().all()
        assert 0 < position < projection.collide_at  # batches before the failing one committed ...
        assert len(keys) == len(set(keys)) > 0  # ... one row each, nothing of the failing batch
        assert runner._caches[projection.name].position is None  # and the cached rows were dropped
    finally:
        runner.close()


@pytest.fixture
def pg_only_ledger(ledger: Ledger) -> Ledger:
    if ledger.recorder.datastore.engine.dialect.name != "postgresql":
        pytest.skip("the pipeline runs on PostgreSQL only")
    return ledger
