"""Closed-loop report latency through /graphql: 100,000 enterprises with a year of reminders.

    python -m bench.closed_loop                                   # build (or reuse) bench_closed_loop_100k, measure
    python -m bench.closed_loop --enterprises 2000 --samples 50   # a quick look (own database)
    ../shared/perf/anchors.sh --product '.venv/bin/python -m bench.closed_loop' --only pg_insert_8c,es_sqlalchemy_save_8t

The ledger is built once and kept (database `bench_closed_loop_<N>k`, with a marker row): for each
enterprise (spread over Henan's counties and the industries) about 1.5 reminders in 2025, written
as the Reminder aggregate's own events (Raised, a delivery, for ~40 % an escalation to the county's
two supervisors with their deliveries, for ~60 % of those an answer, in time or late, ~10 % climbing
to the city, most resolved), plus an enforcement-plan entry for ~2 % of the enterprises: ~500,000
events, built in memory by calling the aggregates' event methods (what the commands record,
without loading each aggregate from the store) and inserted 5,000 per transaction through the
ledger's recorder, as bench/drilldown.py fills its ledger. Then only the `closed_loop` read model
is caught up from empty (its events/s is reported), and VACUUM ANALYZE.

The measurement: `ledger serve` on that database with projections and reminder jobs off (nothing
else runs), a login, then POST /graphql with the closedLoop query (totals, children, byIndustry,
bySupervisor(first: 20), inaction(first: 20), enterprises(first: 20)) at the province, one request
at a time, over varying periods, after a warm-up; latency is the client's wall time.

Prints JSON lines (the anchors.sh product contract): `closed_loop_catchup` (events/s) and
`closed_loop_province_p95` (ms, with p50/p99/mean/max/n).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.commands import server
from bench.drilldown import (database_url, emit, logged_in, log, read_marker, recreate, vacuum, write_marker)
from domain.enforcement.aggregate import EnforcementPlanEntry
from domain.ledger import Ledger
from domain.reminders.aggregate import Reminder
from domain.shared.codes import Industry
from domain.shared.meta import Meta
from domain.shared.regions import RegionLevel, henan_regions

ENV = "adapters.persistence.lean_recorder"
YEAR = 2025
KINDS = ("risk_identification", "hazard_investigation", "rectification_overdue")
QUERY = """
query C($region: String!, $from: Date!, $to: Date!) {
  closedLoop(regionCode: $region, from: $from, to: $to) {
    asOfPosition judgedOn
    totals { raised enterprisesNotified enterprisesCompliedBeforeEscalation escalations answeredInTime answeredLate
             unanswered pending enterprisesOnPlan responseDaysMedian responseDaysP90 }
    children { region { code name } figures { raised escalations answeredInTime unanswered enterprisesOnPlan } }
    byIndustry { industry figures { raised escalations unanswered } }
    bySupervisor(first: 20) { username received answeredInTime answeredLate unanswered responseDaysMedian }
    inaction(first: 20) { totalCount edges { node { creditCode level tier why supervisors } } }
    enterprises(first: 20) { edges { node { creditCode raised escalations unanswered onPlan } } }
  }
}
"""
PERIODS = [
    (date(2025, 6, 2), date(2025, 6, 8)), (date(2025, 3, 1), date(2025, 3, 31)), (date(2025, 9, 1), date(2025, 9, 30)),
    (date(2025, 1, 1), date(2025, 3, 31)), (date(2025, 7, 1), date(2025, 9, 30)), (date(2025, 1, 1), date(2025, 6, 30)),
    (date(2025, 1, 1), date(2025, 12, 31)), (date(2025, 10, 15), date(2025, 10, 15)),
]
# Periods that start and end within a month: their ends are read from the fact rows (a month and
# a half of them at worst), so they are measured and reported apart.
MID_MONTH = [(date(2025, 1, 15), date(2025, 12, 14)), (date(2025, 3, 10), date(2025, 5, 20)),
             (date(2025, 8, 20), date(2025, 9, 12))]


def _meta(at: datetime, n: int) -> Meta:
    return Meta("scheduler:bench", "scheduler", at, f"bench-{n}", f"bench-{n}")


def enterprise_events(i: int, rng: random.Random, counties: list[str], industries: list[str]) -> list[Any]:
    """The events of one enterprise's year of reminders (and maybe a plan entry), in time order."""
    credit_code = f"91410000CL{i:08d}"
    county = counties[i % len(counties)]
    placement = {"region_code": county, "industry": industries[i % len(industries)], "supervision_level": "county"}
    supervisors = [f"sup-{county}-1", f"sup-{county}-2"]
    city_supervisor = f"sup-{county[:4]}00-1"
    events: list[Any] = []
    count = rng.choice((0, 1, 1, 2, 2, 3))
    for n in range(count):
        raised = datetime(YEAR, 1, 1, 2, tzinfo=UTC) + timedelta(days=rng.randrange(0, 340), minutes=i % 600)
        kind = KINDS[(i + n) % 3]
        message = {"message_id": f"m-{i}-{n}-0", "channel": "sms", "recipient": f"enterprise:{credit_code}",
                   "mobile": "13800138000", "title": "提醒", "text": "请按时完成。"}
        counting = {"day_kind": "calendar", "calendar_versions": {}, "fallback_years": []}
        reminder = Reminder(credit_code, f"企业{i}", placement, kind, f"{YEAR}-{n}", raised.date().isoformat(),
                            raised.date().isoformat(), "fact", 1, counting, None, [message], raised, _meta(raised, i))
        reminder._delivery_recorded(message["message_id"], "delivered", "", message["recipient"], raised, _meta(raised, i))
        roll = rng.random()
        at = raised
        if roll < 0.4:
            at = raised + timedelta(days=3)
            told = [{"username": u, "reason": "scope"} for u in supervisors]
            messages = [{"message_id": f"m-{i}-{n}-{u}", "channel": "sms", "recipient": f"user:{u}", "mobile": "139",
                         "title": "升级", "text": "请处理。"} for u in supervisors]
            reminder._escalated(1, "county", raised.date().isoformat(), 1, counting, told, messages, at, _meta(at, i),
                                respond_by=(at + timedelta(days=5)).date().isoformat())
            for m in messages:
                reminder._delivery_recorded(m["message_id"], "delivered", "", m["recipient"], at, _meta(at, i))
            answer = rng.random()
            if answer < 0.6:
                days = rng.choice((0, 1, 1, 2, 3, 4, 5, 6, 8))
                answered = at + timedelta(days=days)
                reminder._responded(rng.choice(supervisors), ["phone_call"], "电话督促", answered, [], 1, answered,
                                    _meta(answered, i), response_days=days, in_time=days <= 5)
                at = answered
            elif answer < 0.75:
                at = at + timedelta(days=6)
                reminder._escalated(2, "city", raised.date().isoformat(), 1, counting,
                                    [{"username": city_supervisor, "reason": "scope"}], [], at, _meta(at, i),
                                    respond_by=(at + timedelta(days=5)).date().isoformat())
        if roll < 0.85:
            done = at + timedelta(days=1)
            reminder._resolved(1, "domain.risks.aggregate:Risk.Identified", done, done, _meta(done, i))
        events += reminder.collect_events()
    if count and rng.random() < 0.02:
        at = datetime(YEAR, 11, 20, 2, tzinfo=UTC)
        entry = EnforcementPlanEntry(credit_code, f"企业{i}", placement, "2025-12", "逾期未整改", None, "supervisor",
                                     supervisors[0], at, _meta(at, i))
        events += entry.collect_events()
    return events


def build(url: str, args: argparse.Namespace) -> dict[str, Any]:
    from projections.runner import ProjectionRunner

    ledger = Ledger(env={"PERSISTENCE_MODULE": ENV, "SQLALCHEMY_URL": url})
    rng = random.Random(args.seed)
    counties = [r.code for r in henan_regions().all() if r.level is RegionLevel.COUNTY]
    industries = [i.value for i in Industry]
    started, pending, total = time.perf_counter(), [], 0
    to_stored = ledger.mapper.to_stored_event
    for i in range(args.enterprises):
        pending += enterprise_events(i, rng, counties, industries)
        if len(pending) >= 5000 or i == args.enterprises - 1:
            ledger.recorder.insert_events([to_stored(e) for e in pending])
            total += len(pending)
            pending = []
        if i % 20000 == 0:
            log(f"filled {i:,} enterprises, {total:,} events")
    fill_seconds = time.perf_counter() - started
    log(f"fill: {total:,} events in {fill_seconds:,.0f} s; catching up closed_loop ...")
    vacuum(url)
    runner = ProjectionRunner(ledger, batch_size=args.batch)
    runner.ensure_current()
    started = time.perf_counter()
    applied = runner.catch_up("closed_loop")
    catchup_seconds = time.perf_counter() - started
    runner.close()
    ledger.close()
    log(f"catch-up: {applied:,} events in {catchup_seconds:,.0f} s; VACUUM ANALYZE ...")
    vacuum(url)
    return {"enterprises": args.enterprises, "seed": args.seed, "events": total, "fill_seconds": round(fill_seconds, 1),
            "catchup_seconds": round(catchup_seconds, 1), "catchup_batch": args.batch,
            "built": datetime.now(UTC).isoformat(timespec="seconds"), "complete": True}


def closed_loop(client: Any, region: str, period: tuple[date, date]) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": QUERY, "variables": {
        "region": region, "from": period[0].isoformat(), "to": period[1].isoformat()}})
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body["data"]["closedLoop"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--database")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--port", type=int, default=18768)
    args = parser.parse_args(argv)
    gate = json.loads(os.environ["PERF_GATE"]) if os.environ.get("PERF_GATE", "").startswith("{") else {}
    size = f"{args.enterprises // 1000}k" if args.enterprises % 1000 == 0 else str(args.enterprises)
    name = args.database or f"bench_closed_loop_{size}"
    url = database_url(name)
    marker = None if args.rebuild else read_marker(name)
    reused = bool(marker and marker.get("complete") and marker.get("enterprises") == args.enterprises
                  and marker.get("seed") == args.seed)
    if not reused:
        log(f"building {name} ...")
        recreate(name)
        marker = build(url, args)
        write_marker(url, marker)
    assert marker is not None
    common = {"enterprises": marker["enterprises"], "events": marker["events"], "reused": reused}
    emit({"bench": "closed_loop_catchup", "value": round(marker["events"] / marker["catchup_seconds"], 1),
          "unit": "events/s", "seconds": marker["catchup_seconds"], "anchor_ref": "es_read_decoded", **common}, gate)
    env = {"LEDGER_PROJECTIONS": "off", "LEDGER_REMINDERS": "off"}
    with server(url, args.port, env) as (base, _env), logged_in(base) as client:
        whole = closed_loop(client, "410000", PERIODS[-2])
        for i in range(args.warmup):
            closed_loop(client, "410000", PERIODS[i % len(PERIODS)])
        latencies = timed(client, PERIODS, args.samples)
        mid_month = timed(client, MID_MONTH, max(len(MID_MONTH), args.samples // 4))
    figures = summary(latencies)
    log(f"province: {whole['totals']['raised']:,} reminders, {whole['totals']['escalations']:,} escalations in 2025; "
        f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms")
    emit({"bench": "closed_loop_province_p95", "value": figures["p95_ms"], "unit": "ms", **figures,
          "reminders": whole["totals"]["raised"], "escalations": whole["totals"]["escalations"],
          "periods": len(PERIODS), "target_p95_ms": 100, **common}, gate)
    apart = summary(mid_month)
    log(f"province, periods starting and ending mid-month: p50 {apart['p50_ms']} ms, p95 {apart['p95_ms']} ms")
    emit({"bench": "closed_loop_province_mid_month_p95", "value": apart["p95_ms"], "unit": "ms", **apart,
          "periods": len(MID_MONTH), **common}, gate)


def timed(client: Any, periods: list[tuple[date, date]], samples: int) -> list[float]:
    """Latencies (ms) of `samples` requests at the province, cycling through the periods."""
    latencies = []
    for i in range(samples):
        started = time.perf_counter()
        closed_loop(client, "410000", periods[i % len(periods)])
        latencies.append(1000 * (time.perf_counter() - started))
    return sorted(latencies)


def summary(latencies: list[float]) -> dict[str, Any]:
    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(round(p * (len(latencies) - 1))))], 2)

    return {"p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "mean_ms": round(statistics.fmean(latencies), 2),
            "max_ms": round(latencies[-1], 2), "n": len(latencies)}


if __name__ == "__main__":
    main()
