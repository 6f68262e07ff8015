"""Projection catch-up benchmark: fill a fresh PostgreSQL ledger with N events, then time the
catch-up of all projections together from an empty read model.

    python -m bench.catchup                    # 1,000,000 events; both modes
    python -m bench.catchup --events 200000 --batch 5000 --mode single
    ../shared/perf/anchors.sh --only es_read_decoded,projection_batched_500 \
        --product '.venv/bin/python -m bench.catchup --events 1000000'

Prints one JSON line per mode on stdout (progress on stderr):
`{"bench": "projection_catchup", "value": <events/s>, "unit": "events/s", "events": N,
"anchor_ref": "es_read_decoded", ...}` for one process reading the log once for every projection
(the runner's `catch_up()`), and `projection_catchup_processes` for one process per projection
(projections/parallel.py). events/s = events in the log / seconds until every projection is at
the head.

The fill is the demo's generator (api/demo/plan.py: a year of a synthetic Henan province,
enterprise after enterprise until N events) on its fast path (api/demo/fast_path.py): the domain
aggregates driven with the same validation and command methods as the application services, the
events encoded by the ledger's mapper and inserted many per transaction. It produces the same
events as seeding through the services would (tests/integration/test_demo_executors.py); only the
per-command round trips are skipped. Events of a chunk of 200 enterprises are interleaved by time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from api.demo.fast_path import FastPath, event_chunks
from api.demo.fast_path import fill as fill_province
from api.demo.plan import CHUNK, CST, Province
from domain.ledger import Ledger
from projections.registry import all_projections

END = datetime(2026, 1, 1, tzinfo=CST)
DAYS = 365
ENV = "adapters.persistence.lean_recorder"
ACTOR = "cli:bench"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def province(seed: int = 7) -> Province:
    """The benchmarks' province: a year of activity (2025, China time)."""
    return Province(seed, END, DAYS)


def generate(events: int, seed: int = 7, chunk: int = CHUNK) -> Iterator[list[Any]]:
    """Chunks of domain events (log order), `events` of them in total."""
    for _, batch in event_chunks(province(seed), events=events, chunk=chunk, fast=FastPath(actor=ACTOR)):
        yield batch


def fill(ledger: Ledger, events: int, seed: int = 7, per_transaction: int = 5000,
         progress: Callable[[int], None] | None = None) -> int:
    """Write `events` generated events into the ledger, many per transaction. Returns the count."""
    report = fill_province(ledger, province(seed), events=events, per_transaction=per_transaction,
                           progress=None if progress is None else (lambda r: progress(r.events)),
                           fast=FastPath(actor=ACTOR))
    return report.events


def settle(ledger: Ledger) -> None:
    """VACUUM ANALYZE the freshly bulk-loaded events table, as autovacuum would in service: the
    first reader of new rows otherwise also pays for setting their hint bits (page writes), which
    is a one-off of the bulk load, not of catching up. Not timed."""
    from sqlalchemy import text

    engine = ledger.recorder.datastore.engine  # type: ignore[attr-defined]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) ledger_events"))


def reset_read_model(runner: Any) -> None:
    """Drop every projection table and tracking row: the next catch-up starts from an empty model."""
    from sqlalchemy import inspect, text

    with runner.engine.begin() as conn:
        for name in inspect(conn).get_table_names():
            if name.startswith("rm_") or name == "projection_tracking":
                conn.execute(text(f'DROP TABLE "{name}"'))


def timed_catch_up(ledger: Ledger, env: dict[str, str], batch: int, processes: bool,
                   pipelined: bool = True) -> tuple[float, int]:
    from api.projections_cli import catch_up_child
    from projections.parallel import catch_up_in_processes
    from projections.runner import ProjectionRunner

    runner = ProjectionRunner(ledger, batch_size=batch)
    reset_read_model(runner)
    runner.close()
    runner = ProjectionRunner(ledger, batch_size=batch, pipelined=pipelined)
    runner.ensure_current()  # the empty read model (position 0); not timed
    started = time.perf_counter()
    applied = sum(catch_up_in_processes(catch_up_child, {"database_url": env["SQLALCHEMY_URL"]}, batch_size=batch).values()) if processes else runner.catch_up()
    seconds = time.perf_counter() - started
    status = runner.status()
    assert all(s["lag"] == 0 for s in status), status
    runner.close()
    return seconds, applied


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000, help="events per catch-up transaction")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--in-turn", action="store_true",
                        help="single mode: apply each batch before reading the next (no writer thread: "
                             "projections/pipeline.py), to compare with the default")
    parser.add_argument("--mode", choices=["single", "processes", "both"], default="both",
                        help="one process reading once for all projections, one process per projection, or both")
    args = parser.parse_args(argv)

    from tests.support.postgres import fresh_database

    prefix = f"bench_catchup_{os.environ.get('PERF_RUN_ID', 'adhoc')}".lower()[:40]
    gate = json.loads(os.environ["PERF_GATE"]) if os.environ.get("PERF_GATE", "").startswith("{") else {}
    with fresh_database(prefix) as url:
        env = {"PERSISTENCE_MODULE": ENV, "SQLALCHEMY_URL": url}
        ledger = Ledger(env=env)
        started = time.perf_counter()
        last = [0]

        def progress(n: int) -> None:
            if n - last[0] >= 100_000 or n == args.events:
                last[0] = n
                log(f"filled {n:,} events ({n / (time.perf_counter() - started):,.0f}/s)")

        written = fill(ledger, args.events, args.seed, progress=progress)
        fill_rate = written / (time.perf_counter() - started)
        settle(ledger)
        modes = ["single", "processes"] if args.mode == "both" else [args.mode]
        for mode in modes:
            seconds, applied = timed_catch_up(ledger, env, args.batch, mode == "processes", not args.in_turn)
            log(f"{mode}: {written:,} events in {seconds:.1f} s")
            result = {
                "bench": "projection_catchup" if mode == "single" else "projection_catchup_processes",
                "value": round(written / seconds, 1), "unit": "events/s", "events": written,
                "anchor_ref": "es_read_decoded", "seconds": round(seconds, 2), "batch": args.batch, "mode": mode, "pipelined": not args.in_turn,
                "projections": [p.name for p in all_projections()], "applied": applied,
                "fill_events_per_s": round(fill_rate, 1), **gate,
            }
            print(json.dumps(result), flush=True)
        ledger.close()


if __name__ == "__main__":
    main()
