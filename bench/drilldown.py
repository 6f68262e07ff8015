"""Drill-down latency through /graphql on a province of 100,000 enterprises and ~5,000,000 events.

    python -m bench.drilldown                          # build (or reuse) bench_drilldown_100k, measure
    python -m bench.drilldown --samples 500
    python -m bench.drilldown --enterprises 2000 --samples 50      # a quick look (own database)
    ../shared/perf/anchors.sh --only pg_insert_8c,fastapi_hello_post --product '.venv/bin/python -m bench.drilldown'

The ledger is built once and kept (database `bench_drilldown_<N>k`, with a marker row saying what
is in it and how long it took): the demo's generator (api/demo/plan.py, a year of 2025 for N
enterprises across Henan's counties and industries, ~50 events each) on its fast path, then every
read model caught up from empty with one process per projection (projections/parallel.py), the
drill-down facts rebuilt (`ledger projections rebuild drilldown`: compact tables), then VACUUM
ANALYZE. A later run reuses it when the marker matches (`--rebuild` forces a new one),
brings the read models to the code's versions (`ensure_current`) and measures again.

The measurement: `ledger serve` on that database (bench/commands.py `server()`, which also adds the
bench admin through the CLI and the application services), a login at POST /api/v1/sessions, then
POST /graphql with the drill-down query, one request at a time from one client, for the province
(410000), the most populated city, and the most populated county of that city (found through the
same query), each over varying periods (a week, a month, a quarter, the year, ...), after a
warm-up. Latency is the client's wall time per request.

Prints JSON lines on stdout (the anchors.sh product contract), progress on stderr:
`drilldown_fill` (events/s of the fast-path fill), `drilldown_catchup` (events/s of the read-model
catch-up; both with `"reused": true` when they are the figures stored with a reused ledger), and
`drilldown_<level>_p95` (ms, with p50/p99/mean/max/n) for province, city and county.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import httpx
from sqlalchemy import create_engine, text

from api.demo.fast_path import FastPath, FillReport, fill
from api.demo.plan import CST, Province
from bench.commands import PASSWORD, server
from domain.ledger import Ledger
from tests.support.postgres import ADMIN_URL

ROOT = Path(__file__).resolve().parent.parent
ENV = "adapters.persistence.lean_recorder"
YEAR_END = datetime(2026, 1, 1, tzinfo=CST)  # the province's activity is the year 2025
QUERY = """
query D($region: String!, $from: Date!, $to: Date!, $industry: String) {
  drilldown(regionCode: $region, industry: $industry, from: $from, to: $to) {
    asOfPosition
    region { code name level }
    totals { enterprises riskIdentified riskNotIdentified hazardRegistered hazardNotRegistered }
    byIndustry { industry totals { enterprises riskIdentified hazardRegistered } }
    children { region { code name } totals { enterprises riskIdentified hazardRegistered } }
    enterprises(first: 20) { edges { cursor node { creditCode name riskIdentified hazardRegistered } } pageInfo { hasNextPage endCursor } }
  }
}
"""
# Periods a dashboard asks for: weeks, months, quarters, half years, the year (all in 2025).
PERIODS = [
    (date(2025, 6, 2), date(2025, 6, 8)), (date(2025, 11, 24), date(2025, 11, 30)),
    (date(2025, 3, 1), date(2025, 3, 31)), (date(2025, 9, 1), date(2025, 9, 30)), (date(2025, 12, 1), date(2025, 12, 31)),
    (date(2025, 1, 1), date(2025, 3, 31)), (date(2025, 7, 1), date(2025, 9, 30)),
    (date(2025, 1, 1), date(2025, 6, 30)), (date(2025, 1, 1), date(2025, 12, 31)), (date(2025, 10, 15), date(2025, 10, 15)),
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def emit(line: dict[str, Any], gate: dict[str, Any]) -> None:
    print(json.dumps(line | gate), flush=True)


def plan_digest() -> str:
    """Which generator built a ledger: a digest of the plan's source (a changed plan warns)."""
    digest = hashlib.sha256()
    for name in ("plan.py", "catalogue.py", "fast_path.py"):
        digest.update((ROOT / "api" / "demo" / name).read_bytes())
    return digest.hexdigest()[:12]


# ------------------------------------------------------------------------------------------ the ledger


def database_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _admin():  # noqa: ANN202
    return create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")


def read_marker(name: str) -> dict[str, Any] | None:
    admin = _admin()
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
                return None
    finally:
        admin.dispose()
    engine = create_engine(database_url(name))
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT to_regclass('bench_marker')")).scalar() is None:
                return None
            row = conn.execute(text("SELECT value FROM bench_marker WHERE key = 'ledger'")).first()
            return json.loads(row[0]) if row else None
    finally:
        engine.dispose()


def recreate(name: str) -> None:
    admin = _admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def write_marker(url: str, marker: dict[str, Any]) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS bench_marker (key text PRIMARY KEY, value text NOT NULL)"))
            conn.execute(text("DELETE FROM bench_marker WHERE key = 'ledger'"))
            conn.execute(text("INSERT INTO bench_marker VALUES ('ledger', :v)"), {"v": json.dumps(marker)})
    finally:
        engine.dispose()


def vacuum(url: str) -> float:
    """VACUUM ANALYZE the whole database, as autovacuum would in service (hint bits, statistics)."""
    started = time.perf_counter()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
    finally:
        engine.dispose()
    return time.perf_counter() - started


def build(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Fill with the fast path, catch the read models up, rebuild the drill-down facts, VACUUM
    ANALYZE; returns the marker."""
    from api.projections_cli import catch_up_child
    from projections.parallel import catch_up_in_processes
    from projections.runner import ProjectionRunner

    env = {"PERSISTENCE_MODULE": ENV, "SQLALCHEMY_URL": url}
    ledger = Ledger(env=env)
    started = time.perf_counter()
    last = [0.0]

    def progress(report: FillReport) -> None:
        now = time.perf_counter()
        if now - last[0] >= 30 or report.enterprises == args.enterprises:
            last[0] = now
            log(f"filled {report.enterprises:,} enterprises, {report.events:,} events "
                f"({report.events / (now - started):,.0f} events/s)")

    province = Province(args.seed, YEAR_END, args.days)
    filled = fill(ledger, province, enterprises=args.enterprises, progress=progress, fast=FastPath(actor="cli:bench"))
    fill_seconds = time.perf_counter() - started
    log(f"fill: {filled.events:,} events in {fill_seconds:,.0f} s; VACUUM ANALYZE ...")
    settle_seconds = vacuum(url)
    runner = ProjectionRunner(ledger, batch_size=args.batch)
    runner.ensure_current()  # the empty read model (position 0); not timed
    log("catching up the read models (one process per projection) ...")
    started = time.perf_counter()
    applied = catch_up_in_processes(catch_up_child, {"database_url": env["SQLALCHEMY_URL"]}, batch_size=args.batch)
    catchup_seconds = time.perf_counter() - started
    status = runner.status()
    runner.close()
    if any(s["lag"] for s in status):
        raise RuntimeError(f"read models behind after catch-up: {status}")
    log(f"catch-up: {catchup_seconds:,.0f} s ({applied}); rebuilding the drill-down facts compactly ...")
    # Catch-up from empty leaves the facts table half free space (each row rewritten batch after
    # batch); `ledger projections rebuild drilldown` writes it compactly (VACUUM FULL before the
    # swap), as a deployment gets it from any rebuild. docs/performance.md has both figures.
    runner = ProjectionRunner(ledger, batch_size=args.batch)
    started = time.perf_counter()
    runner.rebuild("drilldown")
    rebuild_seconds = time.perf_counter() - started
    runner.close()
    ledger.close()
    log(f"rebuild: {rebuild_seconds:,.0f} s; VACUUM ANALYZE ...")
    settle_seconds += vacuum(url)
    return {
        "enterprises": args.enterprises, "days": args.days, "seed": args.seed, "events": filled.events,
        "plan": plan_digest(), "fill_seconds": round(fill_seconds, 1), "catchup_seconds": round(catchup_seconds, 1),
        "catchup_batch": args.batch, "drilldown_rebuild_seconds": round(rebuild_seconds, 1), "vacuum_seconds": round(settle_seconds, 1),
        "projections": {name: version for name, version in ((s["name"], s["version"]) for s in status)},
        "built": datetime.now(CST).isoformat(timespec="seconds"), "complete": True,
    }


def ensure_ledger(args: argparse.Namespace) -> tuple[str, dict[str, Any], bool]:
    """The database to measure on: reused when its marker matches, else built. (url, marker, reused)"""
    size = f"{args.enterprises // 1000}k" if args.enterprises % 1000 == 0 else str(args.enterprises)
    name = args.database or f"bench_drilldown_{size}"
    url = database_url(name)
    marker = None if args.rebuild else read_marker(name)
    wanted = {"enterprises": args.enterprises, "days": args.days, "seed": args.seed}
    if marker and marker.get("complete") and all(marker.get(k) == v for k, v in wanted.items()):
        if marker.get("plan") != plan_digest():
            log(f"note: {name} was built by another version of the plan ({marker.get('plan')}); --rebuild to refresh")
        log(f"reusing {name}: {marker['events']:,} events, built {marker['built']}")
        _bring_read_models_current(url, args.batch)
        return url, marker, True
    log(f"building {name} ({args.enterprises:,} enterprises, {args.days} days) ...")
    recreate(name)
    marker = build(url, args)
    write_marker(url, marker)
    return url, marker, False


def _bring_read_models_current(url: str, batch: int) -> None:
    """Rebuild projections whose code version is newer than the tables' (other engineers' changes),
    create new ones and catch everything up; VACUUM ANALYZE if anything was done."""
    from api.projections_cli import catch_up_child
    from projections.parallel import catch_up_in_processes
    from projections.runner import ProjectionRunner

    env = {"PERSISTENCE_MODULE": ENV, "SQLALCHEMY_URL": url}
    ledger = Ledger(env=env)
    runner = ProjectionRunner(ledger, batch_size=batch)
    last = [time.perf_counter()]

    def progress(position: int, head: int) -> None:
        if time.perf_counter() - last[0] >= 30:
            last[0] = time.perf_counter()
            log(f"rebuilding read model: {position:,} / {head:,}")

    try:
        started = time.perf_counter()
        runner.ensure_current(progress)
        behind = max((s["lag"] for s in runner.status()), default=0)
        if behind > 100_000:
            log(f"read models {behind:,} events behind: catching up (one process per projection) ...")
            catch_up_in_processes(catch_up_child, {"database_url": env["SQLALCHEMY_URL"]}, batch_size=batch)
        else:
            runner.catch_up()
        if time.perf_counter() - started > 5:
            log(f"read models brought current in {time.perf_counter() - started:,.0f} s; VACUUM ANALYZE ...")
            vacuum(url)
    finally:
        runner.close()
        ledger.close()


# ------------------------------------------------------------------------------------------ measuring


def drilldown(client: httpx.Client, region: str, period: tuple[date, date]) -> dict[str, Any]:
    variables = {"region": region, "from": period[0].isoformat(), "to": period[1].isoformat(), "industry": None}
    response = client.post("/graphql", json={"query": QUERY, "variables": variables})
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors for {region} {period}: {body['errors']}")
    return body["data"]["drilldown"]


def most_populated(result: dict[str, Any]) -> dict[str, Any]:
    return max(result["children"], key=lambda child: child["totals"]["enterprises"])


def measure(client: httpx.Client, region: str, samples: int, warmup: int) -> dict[str, float]:
    for i in range(warmup):
        drilldown(client, region, PERIODS[i % len(PERIODS)])
    latencies = []
    for i in range(samples):
        period = PERIODS[i % len(PERIODS)]
        started = time.perf_counter()
        drilldown(client, region, period)
        latencies.append(1000 * (time.perf_counter() - started))
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(round(p * (len(latencies) - 1))))], 2)

    return {"p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "mean_ms": round(statistics.fmean(latencies), 2), "max_ms": round(latencies[-1], 2), "n": samples}


@contextmanager
def logged_in(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=60) as client:
        response = client.post("/api/v1/sessions", json={"username": "bench-admin", "password": PASSWORD})
        response.raise_for_status()
        client.headers["Authorization"] = "Bearer " + response.json()["access_token"]
        yield client


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365, help="days of activity (ending 2026-01-01)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", type=int, default=200, help="timed requests per level")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per level first")
    parser.add_argument("--batch", type=int, default=5000, help="events per read-model transaction in the catch-up")
    parser.add_argument("--database", help="database name (default bench_drilldown_<N>k)")
    parser.add_argument("--rebuild", action="store_true", help="build the ledger again even if a matching one exists")
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    parser.add_argument("--port", type=int, default=18767)
    args = parser.parse_args(argv)
    gate = json.loads(os.environ["PERF_GATE"]) if os.environ.get("PERF_GATE", "").startswith("{") else {}

    url, marker, reused = ensure_ledger(args)
    common = {"enterprises": marker["enterprises"], "events": marker["events"], "reused": reused}
    emit({"bench": "drilldown_fill", "value": round(marker["events"] / marker["fill_seconds"], 1), "unit": "events/s",
          "seconds": marker["fill_seconds"], "anchor_ref": "es_sqlalchemy_batched", **common}, gate)
    emit({"bench": "drilldown_catchup", "value": round(marker["events"] / marker["catchup_seconds"], 1),
          "unit": "events/s", "seconds": marker["catchup_seconds"], "mode": "processes", "batch": marker["catchup_batch"],
          "anchor_ref": "es_read_decoded", **common}, gate)
    try:
        with server(url, args.port) as (base, _env), logged_in(base) as client:
            province = drilldown(client, "410000", PERIODS[-2])
            city = most_populated(province)["region"]
            county = most_populated(drilldown(client, city["code"], PERIODS[-2]))["region"]
            levels = [("province", {"code": "410000", "name": province["region"]["name"]}), ("city", city), ("county", county)]
            for level, region in levels:
                figures = measure(client, region["code"], args.samples, args.warmup)
                size = drilldown(client, region["code"], PERIODS[-2])["totals"]["enterprises"]
                log(f"{level} {region['code']} {region['name']} ({size:,} enterprises): p50 {figures['p50_ms']} ms, "
                    f"p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms")
                emit({"bench": f"drilldown_{level}_p95", "value": figures["p95_ms"], "unit": "ms", **figures,
                      "region": region["code"], "region_enterprises": size, "periods": len(PERIODS),
                      "target_p95_ms": 100, **common}, gate)
    finally:
        if args.drop:
            admin = _admin()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
