"""Ministry exchange benchmark: a full load of 1,000,000 enterprise rows (jg_jgdx_qyjbxx) into a
PostgreSQL and a MariaDB front-end database, then an incremental batch of 10,000 changes.

The 1M rows are written straight into the staging read model (`mx_staging` of the `ministry`
projection, with its tracking row), not through the ledger's commands and the projection runner:
building a million enterprises through the log would take the better part of an hour here and
measure the write side and the catch-up, which have benchmarks of their own (bench/commands.py,
bench/catchup.py). The rows are what the projection writes: one enterprise register row converted
by the standard mapping, varied per enterprise (credit code, name, region, industry, level).
The exchange itself runs as `ledger exchange full` / `run` do (schedulers/exchange.py): staging
read in key order in chunks of 5,000, upserted by CD_ID, the `_his.sql` script written beside it
(full load), watermark and batch log in the same front-end transaction.

Prints one JSON line per figure (the anchors.sh product contract) and a summary on stderr.

    .venv/bin/python -m bench.exchange [--rows 1000000] [--changes 10000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from adapters.frontend.database import FrontendDatabase
from adapters.frontend.exchange import FrontendExchange
from domain.shared.codes import Industry, SupervisionLevel
from projections.ministry.catalogue import CATALOGUE, ENTERPRISE
from projections.ministry.conversion import convert
from projections.ministry.mappings import ENTERPRISE as ENTERPRISE_MAPPING
from projections.ministry.projection import MinistryProjection
from projections.ministry.staging import fitted, row_hash
from projections.schema import create_bookkeeping, generation_metadata, generation_tables, tracking
from schedulers.exchange import Exchanger
from tests.support import mariadb, postgres

TABLE = ENTERPRISE.name
REGIONS = ["410102", "410185", "410302", "410402", "410502", "410602", "410702", "410802", "410902", "411002"]
INDUSTRIES = [i.value for i in Industry]
LEVELS = [s.value for s in SupervisionLevel]
NOW = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def source(n: int) -> dict:
    return {
        "credit_code": f"91410{n:012d}X", "name": f"河南省示范安全生产有限公司第{n}分公司", "region_code": REGIONS[n % 10],
        "industry": INDUSTRIES[n % len(INDUSTRIES)], "supervision_level": LEVELS[n % 3],
        "safety_officer_name": "张伟", "safety_officer_mobile": "13800138000", "status": "active",
        "registered_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n), "deregistered_at": None,
    }


def copy_line(n: int, operation: str, position: int, rename: bool = False) -> str:
    data = source(n)
    if rename:
        data["name"] += "（更名）"
    row = fitted(ENTERPRISE, convert(ENTERPRISE_MAPPING, data).row)
    payload = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("\\", "\\\\")  # COPY text format escapes backslashes
    cd_id = row["cd_id"]
    return "\t".join((f"{TABLE}/{cd_id}", TABLE, cd_id, operation, payload, row_hash(row, operation), "[]", str(position)))


def build_staging(url: str, rows: int, chunk: int = 50_000) -> None:
    """The ministry projection's tables (generation 1), `rows` staging rows by COPY, its tracking row."""
    engine = create_engine(url)
    projection = MinistryProjection()
    create_bookkeeping(engine)
    generation_metadata(projection.tables, 1).create_all(engine)
    staging = generation_tables(projection.tables, 1)["mx_staging"].name
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for base in range(0, rows, chunk):
            lines = [copy_line(n, "i", n + 1) for n in range(base, min(base + chunk, rows))]
            cursor.copy_expert(f'COPY "{staging}" (skey, table_name, cd_id, operation, "row", row_hash, findings, position) '
                               "FROM STDIN", io.BytesIO(("\n".join(lines) + "\n").encode()))
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(tracking.insert().values(name=projection.name, version=projection.version, position=rows, generation=1))
        conn.exec_driver_sql(f'ANALYZE "{staging}"')
    engine.dispose()


def change(url: str, rows: int, changes: int) -> None:
    """`changes` enterprises renamed after the full load: staging rows `u` at positions after `rows`."""
    engine = create_engine(url)
    staging = generation_tables(MinistryProjection().tables, 1)["mx_staging"].name
    step = max(1, rows // changes)
    picked = [n for n in range(0, rows, step)][:changes]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("CREATE TEMP TABLE changed (LIKE \"%s\")" % staging)
        lines = [copy_line(n, "u", rows + i + 1, rename=True) for i, n in enumerate(picked)]
        cursor.copy_expert('COPY changed (skey, table_name, cd_id, operation, "row", row_hash, findings, position) FROM STDIN',
                           io.BytesIO(("\n".join(lines) + "\n").encode()))
        cursor.execute(f'UPDATE "{staging}" s SET operation = c.operation, "row" = c."row", row_hash = c.row_hash, '
                       "position = c.position FROM changed c WHERE s.skey = c.skey")
        cursor.execute("UPDATE projection_tracking SET position = %s WHERE name = 'ministry'", (rows + len(picked),))
        raw.commit()
    finally:
        raw.close()
    engine.dispose()


def measure(kind: str, ledger_url: str, front_url: str, rows: int, changes: int, root: Path) -> list[dict]:
    database = FrontendDatabase(front_url)
    database.init([t for t in CATALOGUE if t.name == TABLE], min_connections=1)
    ledger = create_engine(ledger_url, pool_size=2)
    exchanger = Exchanger(ledger, FrontendExchange(database.engine, CATALOGUE.tables), root, clock=lambda: NOW)
    started = time.perf_counter()
    [full] = exchanger.full(TABLE)
    full_seconds = time.perf_counter() - started
    assert full.result == "ok" and full.counts["i"] == rows, full.summary()
    log(f"{kind}: {full.summary()}; script {(root / f'{TABLE}_his.sql').stat().st_size / 1e6:.0f} MB")
    change(ledger_url, rows, changes)
    started = time.perf_counter()
    [batch] = exchanger.run(TABLE)
    batch_seconds = time.perf_counter() - started
    assert batch.result == "ok" and batch.counts["u"] == changes, batch.summary()
    log(f"{kind}: {batch.summary()}")
    ledger.dispose()
    database.close()
    gate = json.loads(os.environ.get("PERF_GATE", "{}") or "{}")
    return [
        {"bench": f"exchange_full_{kind}", "value": round(rows / full_seconds), "unit": "rows/s",
         "anchor_ref": "pg_insert_8c", "rows": rows, "seconds": round(full_seconds, 1), "with_his_sql": True} | gate,
        {"bench": f"exchange_incremental_{kind}", "value": round(batch_seconds, 2), "unit": "s",
         "anchor_ref": "pg_insert_8c", "changes": changes, "staging_rows": rows} | gate,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--only", choices=("postgres", "mariadb"), default=None)
    args = parser.parse_args()
    run = os.environ.get("PERF_RUN_ID", "local").replace("-", "_")[:20]
    for kind in ("postgres", "mariadb"):
        if args.only and kind != args.only:
            continue
        with ExitStack() as stack:
            ledger_url = stack.enter_context(postgres.fresh_database(f"bench_exch_{run}"))
            started = time.perf_counter()
            build_staging(ledger_url, args.rows)
            log(f"staging: {args.rows:,} rows in {time.perf_counter() - started:.0f}s (COPY into mx_staging)")
            fresh = postgres.fresh_database if kind == "postgres" else mariadb.fresh_database
            front_url = stack.enter_context(fresh(f"bench_front_{run}"))
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-exchange-")))
            for line in measure(kind, ledger_url, front_url, args.rows, args.changes, root):
                print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
