"""Call-log export benchmark: 200,000 logged calls on PostgreSQL to an .xlsx file.

Checks that the export path (iter_rows' server-side cursor into xlsxwriter's constant-memory mode)
stays fast and, above all, bounded in memory. The rows are loaded with COPY in chunks, so the load
itself stays small too. The export runs twice: once plain for the time (`value`), once under
tracemalloc for the peak of Python allocations (tracemalloc slows allocation-heavy code down).
Prints one JSON line (the anchors.sh product contract) and a human summary on stderr.

    .venv/bin/python -m bench.export [--rows 200000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine

from adapters.excel.export import write_call_log_xlsx
from adapters.persistence.call_log import CallLog, CallLogFilter
from adapters.persistence.tables import metadata
from tests.support.postgres import fresh_database

COLUMNS = ("at", "enterprise", "subscription_id", "interface_code", "method", "path", "status", "latency_ms",
           "request_id", "client_ip", "error_title")
INTERFACES = ["RISK_PUSH", "HAZARD_PUSH", "HAZARD_RECTIFY", "INSPECTION_PUSH", "TOKEN"]
STATUSES = [200] * 80 + [201] * 10 + [400, 401, 403, 404, 409, 412, 422, 500, 503, 304]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def load(engine, rows: int, chunk: int = 20_000) -> None:  # noqa: ANN001
    """COPY generated rows in chunks of `chunk` CSV lines."""
    rng = random.Random(7)
    enterprises = [f"9141{n:014d}" for n in range(300)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for base in range(0, rows, chunk):
            buffer = io.StringIO()
            for i in range(base, min(base + chunk, rows)):
                status = rng.choice(STATUSES)
                iface = rng.choice(INTERFACES)
                at = start + timedelta(seconds=i * 15)
                error = "Invalid request" if status >= 400 else ""
                buffer.write(f"{at.isoformat()},{rng.choice(enterprises)},sub-{i % 997},{iface},POST,"
                             f"/api/v1/{iface.lower()},{status},{rng.lognormvariate(3, 0.6):.3f},{uuid.uuid4().hex},"
                             f"10.0.{i % 256}.{i % 199},{error}\n")
            buffer.seek(0)
            cursor.copy_expert(f"COPY call_log ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)", buffer)
        raw.commit()
    finally:
        raw.close()


def export(calls: CallLog, path: str) -> tuple[float, int]:
    started = time.perf_counter()
    with open(path, "wb") as target:
        written = write_call_log_xlsx(calls.iter_rows(CallLogFilter()), target)
    return time.perf_counter() - started, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    with fresh_database("ledger_bench") as url, tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(url)
        metadata.create_all(engine)
        started = time.perf_counter()
        load(engine, args.rows)
        log(f"loaded {args.rows} rows in {time.perf_counter() - started:.1f}s")
        calls = CallLog(engine)
        assert calls.count(CallLogFilter()) == args.rows
        path = os.path.join(tmp, "call-log.xlsx")
        rss_before = rss_mb()
        seconds, written = export(calls, path)
        assert written == args.rows
        tracemalloc.start()
        traced_seconds, _ = export(calls, path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        file_mb = os.path.getsize(path) / 1e6
        engine.dispose()
    result = {"bench": "call_log_export_200k", "value": round(seconds, 2), "unit": "s", "rows": written,
              "peak_rss_mb": round(rss_mb(), 1), "tracemalloc_peak_mb": round(peak / 2**20, 2),
              "file_mb": round(file_mb, 2)}
    log(f"export {written} rows: {seconds:.2f}s ({written / seconds:,.0f} rows/s), {traced_seconds:.2f}s under "
        f"tracemalloc; peak RSS {result['peak_rss_mb']} MB (before the export {rss_before:.1f} MB); "
        f"Python peak {result['tracemalloc_peak_mb']} MB; file {result['file_mb']} MB")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
