"""Reminder scan benchmark on PostgreSQL: a province of N enterprises (default 100,000) in the scan's
read model, then (1) a scan when nothing is due and (2) a scan when a share of them (default 10 %)
is late with its hazard investigation, which raises one reminder each.

    python -m bench.reminder_scan
    python -m bench.reminder_scan --enterprises 20000 --due 0.1
    ../shared/perf/anchors.sh --only pg_lock_notify_8c,es_sqlalchemy_save_8t \
        --product '.venv/bin/python -m bench.reminder_scan'

The scan reads only read models (`rm_scan_enterprises`, `rm_scan_hazards`, `rm_reminders`), so the
benchmark writes the facts table directly (COPY of one row per enterprise: registered 200 days ago,
first risk 190 days ago, last investigation 2 days ago, or 20 days ago for the late share) instead
of projecting millions of events first (bench/catchup.py measures that). The scan itself runs as
`ledger serve` runs it (`services.reminder_scan.run(now)`: rules and calendar from the ledger, the
candidate query, evaluation, one command per reminder through the group committer).

Prints JSON lines: `reminder_scan_nothing_due` (seconds, median of 3: no enterprise is even a
candidate), `reminder_scan_nothing_due_all_evaluated` (seconds: every enterprise investigated 6.5
days ago, so each is read and evaluated but none is late), `reminder_scan_due`
(reminders raised per second, with the scan's seconds), each with the anchor to divide by.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from api.bootstrap import bootstrap
from api.settings import Settings
from domain.shared.codes import Industry
from domain.shared.regions import RegionLevel, henan_regions

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 China time


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def credit_code(i: int) -> str:
    return f"91410000BENCH{i:05d}"[:18]


def fill(conn, table: str, enterprises: int, due_share: float, recent: timedelta = timedelta(days=2)) -> int:  # noqa: ANN001
    """COPY one facts row per enterprise, investigated `recent`ly; every `1/due_share`-th is late
    with its investigation."""
    counties = [r.code for r in henan_regions().all() if r.level is RegionLevel.COUNTY]
    industries = [i.value for i in Industry]
    every = round(1 / due_share) if due_share > 0 else 0
    registered, first_risk = NOW - timedelta(days=200), NOW - timedelta(days=190)
    buffer = io.StringIO()
    due = 0
    for i in range(enterprises):
        late = every and i % every == 0
        due += bool(late)
        investigated = NOW - (timedelta(days=20) if late else recent)
        buffer.write("\t".join([f"bench-{i:06d}", credit_code(i), f"企业{i}", counties[i % len(counties)],
                                industries[i % len(industries)], "county", "active", registered.isoformat(),
                                first_risk.isoformat(), str(i + 1), "domain.risks.aggregate:Risk.Identified",
                                investigated.isoformat(), str(i + 1), "domain.inspections.aggregate:Inspection.Recorded",
                                str(i + 1)]) + "\n")
    buffer.seek(0)
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cursor:
        cursor.execute(f'TRUNCATE "{table}"')
        cursor.copy_expert(f'COPY "{table}" (enterprise_id, credit_code, name, region_code, industry, supervision_level, '
                           "status, registered_at, first_risk_at, first_risk_position, first_risk_topic, "
                           "last_investigation_at, last_investigation_position, last_investigation_topic, position) "
                           "FROM STDIN", buffer)
        cursor.execute(f'ANALYZE "{table}"')
    raw.commit()
    return due


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--due", type=float, default=0.10, help="share of enterprises late with their investigation")
    args = parser.parse_args(argv)

    from tests.support.postgres import fresh_database

    sys.setswitchinterval(Settings().gil_switch_interval_ms / 1000)  # as `ledger serve` runs
    gate = json.loads(os.environ["PERF_GATE"]) if os.environ.get("PERF_GATE", "").startswith("{") else {}
    prefix = f"bench_scan_{os.environ.get('PERF_RUN_ID', 'adhoc')}".lower()[:40]
    with fresh_database(prefix) as url:
        services = bootstrap(Settings(database_url=url, projections="off", reminders="off", call_log_enabled=False),
                             clock=lambda: NOW)
        services.start()  # the group committer
        try:
            runner = services.new_projection_runner()
            runner.ensure_current()
            runner.close()
            scan = services.reminder_scan
            assert scan is not None
            with services.engine.connect() as conn:
                fill(conn, "rm_scan_enterprises_g1", args.enterprises, 0)
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                report = scan.run(NOW)
                runs.append(time.perf_counter() - started)
                assert report is not None and not report.actions, report.summary()
            idle = statistics.median(runs)
            log(f"nothing due over {args.enterprises:,} enterprises: {idle:.3f} s (runs {', '.join(f'{r:.3f}' for r in runs)})")
            print(json.dumps({"bench": "reminder_scan_nothing_due", "value": round(idle, 3), "unit": "s",
                              "enterprises": args.enterprises, "runs_s": [round(r, 3) for r in runs],
                              "anchor_ref": "pg_lock_notify_8c", **gate}), flush=True)
            # The worst "nothing due": every enterprise investigated 6.5 days ago is a candidate (the SQL
            # cannot tell it from a late one) and is evaluated, but none is late yet.
            with services.engine.connect() as conn:
                fill(conn, "rm_scan_enterprises_g1", args.enterprises, 0, timedelta(days=6, hours=12))
            started = time.perf_counter()
            report = scan.run(NOW)
            worst = time.perf_counter() - started
            assert report is not None and not report.actions and report.evaluated == args.enterprises, report.summary()
            log(f"nothing due, all {report.evaluated:,} evaluated: {worst:.2f} s")
            print(json.dumps({"bench": "reminder_scan_nothing_due_all_evaluated", "value": round(worst, 2), "unit": "s",
                              "enterprises": args.enterprises, "evaluated": report.evaluated,
                              "anchor_ref": "pg_lock_notify_8c", **gate}), flush=True)
            with services.engine.connect() as conn:
                due = fill(conn, "rm_scan_enterprises_g1", args.enterprises, args.due)
            started = time.perf_counter()
            report = scan.run(NOW)
            seconds = time.perf_counter() - started
            assert report is not None
            raised = sum(report.actions.values())
            assert raised == due, (raised, due, report.summary())
            log(f"{due:,} due: {raised:,} reminders raised in {seconds:.1f} s ({raised / seconds:,.0f}/s)")
            print(json.dumps({"bench": "reminder_scan_due", "value": round(raised / seconds, 1), "unit": "reminders/s",
                              "raised": raised, "seconds": round(seconds, 2), "enterprises": args.enterprises,
                              "evaluated": report.evaluated, "anchor_ref": "es_sqlalchemy_save_8t", **gate}), flush=True)
        finally:
            services.close()


if __name__ == "__main__":
    main()
