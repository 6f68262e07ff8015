"""Seal benchmark on PostgreSQL: `ledger audit verify` over N stored events (default 1,000,000),
as a ratio to the `sha256_chain` anchor (Python's chained SHA-256 over 400-byte records in memory).

    python -m bench.seal_verify
    python -m bench.seal_verify --events 200000
    ../shared/perf/anchors.sh --only sha256_chain --product '.venv/bin/python -m bench.seal_verify'

The log is written fast, not through commands: 20,000 events of the demo province's generator
(api/demo/fast_path.py, the events the services would write) are encoded once by the ledger's
mapper, then COPYed again and again under fresh aggregate ids until N rows are stored (ids from the
table's sequence, as the recorder's inserts take them). Then, timed: sealing the whole log once
(`seal_build`: the follower catching up on a backlog, checkpoints of 1,000 events signed), and
verifying it against the signed checkpoints (`seal_verify`: what `ledger audit verify` does; the
figure; the median of three runs), and with `--deep` (`seal_verify_deep`: also every segment's Merkle
root from the events).

Prints one JSON line per figure (progress on stderr), each with `anchor_ref: sha256_chain`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime

from adapters.audit.seal import Seal
from api.demo.fast_path import FastPath, event_chunks
from api.demo.plan import CST, Province
from domain.ledger import Ledger

POOL = 20_000
ENV = "adapters.persistence.lean_recorder"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pool(ledger: Ledger, size: int = POOL) -> list[tuple[int, int, str, str]]:
    """(originator id as int, version, topic, state as COPY bytea text) of `size` generated events."""
    to_stored = ledger.mapper.to_stored_event
    out: list[tuple[int, int, str, str]] = []
    province = Province(7, datetime(2026, 1, 1, tzinfo=CST), 365)
    for _, batch in event_chunks(province, events=size, fast=FastPath(actor="cli:bench")):
        for event in batch:
            stored = to_stored(event)
            out.append((stored.originator_id.int, stored.originator_version, stored.topic, "\\\\x" + stored.state.hex()))
    return out


def write(ledger: Ledger, events: int, rows: list[tuple[int, int, str, str]], per_copy: int = 50_000) -> None:
    """COPY `events` rows: the pool again and again, each round under other aggregate ids."""
    engine = ledger.recorder.datastore.engine  # type: ignore[attr-defined]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        written, started = 0, time.perf_counter()
        while written < events:
            buffer = io.StringIO()
            for i in range(written, min(events, written + per_copy)):
                round_, (oid, version, topic, state) = i // len(rows), rows[i % len(rows)]
                buffer.write(f"{uuid.UUID(int=oid ^ (round_ << 64))}\t{version}\t{topic}\t{state}\n")
            buffer.seek(0)
            cursor.copy_expert("COPY ledger_events (originator_id, originator_version, topic, state) FROM STDIN", buffer)
            raw.commit()
            written = min(events, written + per_copy)
            if written % 200_000 == 0 or written == events:
                log(f"wrote {written:,} events ({written / (time.perf_counter() - started):,.0f}/s)")
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) ledger_events")  # as autovacuum would; not timed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--checkpoint-events", type=int, default=1000)
    args = parser.parse_args(argv)

    from tests.support.postgres import fresh_database

    prefix = f"bench_seal_{os.environ.get('PERF_RUN_ID', 'adhoc')}".lower()[:40]
    gate = json.loads(os.environ["PERF_GATE"]) if os.environ.get("PERF_GATE", "").startswith("{") else {}
    with fresh_database(prefix) as url:
        ledger = Ledger(env={"PERSISTENCE_MODULE": ENV, "SQLALCHEMY_URL": url})
        try:
            rows = pool(ledger)
            write(ledger, args.events, rows)
            engine = ledger.recorder.datastore.engine  # type: ignore[attr-defined]
            seal = Seal.build(engine, ledger.recorder.events_record_cls.__table__,  # type: ignore[attr-defined]
                              lambda: datetime.now(UTC), key_setting=os.urandom(32).hex(),
                              checkpoint_events=args.checkpoint_events)
            common = {"events": args.events, "checkpoint_events": args.checkpoint_events,
                      "anchor_ref": "sha256_chain", **gate}
            with engine.connect() as conn:
                size = conn.exec_driver_sql("SELECT avg(40 + octet_length(topic) + octet_length(state)) "
                                            "FROM ledger_events").scalar()
            common["record_bytes"] = round(float(size), 1)

            started = time.perf_counter()
            report = seal.sealer().seal()
            seconds = time.perf_counter() - started
            assert report.events + report.pending == args.events, report
            log(f"sealed {report.events:,} events in {seconds:.1f} s ({report.checkpoints} checkpoints)")
            print(json.dumps({"bench": "seal_build", "value": round(report.events / seconds, 1), "unit": "events/s",
                              "seconds": round(seconds, 2), "checkpoints": report.checkpoints, **common}), flush=True)

            for name, deep in (("seal_verify", False), ("seal_verify_deep", True)):
                runs = []
                for _ in range(3):  # the median of three: one run on a shared 2-vCPU machine swings by a third
                    started = time.perf_counter()
                    result = seal.verifier().verify(deep=deep)
                    runs.append(time.perf_counter() - started)
                    assert result.intact, result.summary()
                    log(f"{name}: {result.events:,} events in {runs[-1]:.2f} s: {result.summary()}")
                seconds = statistics.median(runs)
                print(json.dumps({"bench": name, "value": round(result.events / seconds, 1), "unit": "events/s",
                                  "seconds": round(seconds, 2), "runs_s": [round(r, 2) for r in runs],
                                  "verified": result.events, **common}), flush=True)
        finally:
            ledger.close()


if __name__ == "__main__":
    main()
