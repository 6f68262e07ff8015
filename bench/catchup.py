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

The fill is a fast path that still produces the domain's own events: aggregates are built and
driven with the domain classes (their command methods and guards), the same way the use cases
do it after validation, and their events are encoded by the ledger's mapper and inserted many per
transaction through the recorder. Only the per-command round trips are skipped. Each enterprise
lives through a year: registration, risk identification (some level changes, measure revisions,
invalidations), an inspection about every two weeks, hazards found by some inspections and taken
through rectification and acceptance (some fail once, some are invalidated, some stay open past
their deadline), a few detail changes and deregistrations. Events of a chunk of enterprises are
interleaved by business time, keeping each aggregate's own order.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from domain.enterprises.aggregate import Enterprise
from domain.hazards.aggregate import Hazard, RectificationPlan
from domain.inspections.aggregate import Inspection
from domain.ledger import Ledger
from domain.risks.aggregate import ControlMeasure, Risk
from domain.shared.codes import Industry, RiskLevel, SupervisionLevel
from domain.shared.credit_code import credit_code_with_check_digit
from domain.shared.meta import Meta
from domain.shared.regions import RegionLevel, henan_regions

CST = timezone(timedelta(hours=8))
START = datetime(2025, 1, 1, 8, 0, tzinfo=CST)
DAYS = 365
LEC_SCORES = {RiskLevel.LOW: 54.0, RiskLevel.GENERAL: 90.0, RiskLevel.SIGNIFICANT: 180.0, RiskLevel.MAJOR: 400.0}
MEASURE = {"description": "定期巡检并记录", "control_level": "workshop", "department": "生产部", "responsible_person": "李强"}
PLAN = RectificationPlan("消除隐患", "更换设备", "5 万元", "设备部", "30 日内", "设警戒区")
ENV = "adapters.persistence.lean_recorder"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class History:
    """One enterprise's aggregates, driven through a year with the domain's command methods."""

    def __init__(self, index: int, rng: random.Random, counties: list[Any], end: datetime) -> None:
        self.rng, self.end, self.index, self.seq = rng, end, index, 0
        county = rng.choice(counties)
        industry = rng.choice(list(Industry))
        self.registered = START + timedelta(days=rng.uniform(0, 60))
        code = credit_code_with_check_digit(f"91{county.code}{index:09d}")
        self.enterprise = Enterprise(
            credit_code=code, name=f"{county.name}示范{index}号企业", region_code=county.code, industry=industry.value,
            supervision_level=rng.choice(list(SupervisionLevel)).value, safety_officer_name="张伟",
            safety_officer_mobile=f"138{index % 10**8:08d}", at=self.registered, meta=self.meta(self.registered),
        )
        self.eid = str(self.enterprise.id)
        self.aggregates: list[Any] = [self.enterprise]
        self.last = self.registered

    def meta(self, at: datetime) -> Meta:
        self.seq += 1
        request = f"bench-{self.index}-{self.seq}"
        return Meta("bench", "rest", at + timedelta(minutes=1), request, request)

    def at(self, after: datetime, max_days: float) -> datetime | None:
        when = after + timedelta(days=self.rng.uniform(0.01, max_days))
        if when >= self.end:
            return None
        self.last = max(self.last, when)
        return when

    def live(self) -> list[Any]:
        rng = self.rng
        if rng.random() < 0.15:  # late enterprises: registered, nothing reported yet
            return self.aggregates
        for k in range(rng.randint(3, 7)):
            self.risk(k)
        inspected = self.registered + timedelta(days=rng.uniform(1, 7))
        k = 0
        while inspected < self.end:
            self.inspection(k, inspected)
            k += 1
            inspected += timedelta(days=rng.uniform(10, 18))
        if rng.random() < 0.02:
            when = self.at(self.registered, 200)
            if when is not None:
                self.enterprise.change_details({"name": self.enterprise.name + "（更名）"}, when, self.meta(when))
        if rng.random() < 0.01:
            when = self.last + timedelta(hours=1)
            if when < self.end:
                self.enterprise.deregister("注销", when, self.meta(when))
        return self.aggregates

    def risk(self, k: int) -> None:
        rng = self.rng
        identified = self.at(self.registered, 10)
        if identified is None:
            return
        level = rng.choices(list(RiskLevel), weights=[45, 35, 15, 5])[0]
        inherent = RiskLevel(min(4, int(level) + (1 if rng.random() < 0.3 else 0)))
        risk = Risk(
            enterprise_id=self.eid, risk_code=f"R-{k:03d}", name=f"风险点{k + 1}", location=f"{k + 1}号车间",
            hazard_factors=["设备老化"], accident_types=["03"], assessment_method="lec",
            assessment_score=LEC_SCORES[inherent], inherent_level=int(inherent), current_level=int(level),
            control_measures=[MEASURE], at=identified, meta=self.meta(identified),
        )
        self.aggregates.append(risk)
        latest = identified
        if rng.random() < 0.3 and (when := self.at(latest, 150)) is not None:
            new = rng.choice([lv for lv in RiskLevel if lv != risk.level])
            risk.change_level(new, "复评", when, self.meta(when))
            latest = when
        if rng.random() < 0.2 and (when := self.at(latest, 100)) is not None:
            risk.revise_measures([ControlMeasure("增加巡检频次", "team", "生产部", "王磊")], "整改", when, self.meta(when))
            latest = when
        if rng.random() < 0.08 and (when := self.at(latest, 100)) is not None:
            risk.invalidate("设备拆除", when, self.meta(when))

    def inspection(self, k: int, performed: datetime) -> None:
        rng = self.rng
        found = rng.choices([0, 1, 2], weights=[65, 30, 5])[0]
        self.last = max(self.last, performed)
        self.aggregates.append(Inspection(
            enterprise_id=self.eid, inspection_code=f"I-{k:04d}", scope="日常排查", hazards_found=found,
            inspector="赵敏", at=performed, meta=self.meta(performed),
        ))
        for j in range(found):
            self.hazard(f"H-{k:04d}-{j}", performed)

    def hazard(self, code: str, found: datetime) -> None:
        rng = self.rng
        major = rng.random() < 0.05
        hazard = Hazard(
            enterprise_id=self.eid, hazard_code=code, name="消防通道堵塞", description="仓库消防通道堆放杂物",
            level="major" if major else "general", source="self_inspection", risk_id=None,
            rectification_deadline=found + timedelta(days=rng.randint(7, 30)), responsible_person="王磊",
            governance_type="deadline", rectification_plan=PLAN.as_dict() if major else None,
            at=found, meta=self.meta(found),
        )
        self.aggregates.append(hazard)
        fate = rng.random()
        if fate < 0.05 and (when := self.at(found, 5)) is not None:
            hazard.invalidate("重复登记", when, self.meta(when))
            return
        if fate > 0.90:
            return  # stays open (overdue once its deadline passes)
        done = self.at(found, 10)
        if done is None:
            return
        hazard.report_rectification("清理杂物并设置标识", "王磊", 200.0, done, self.meta(done))
        accepted = self.at(done, 2)
        if accepted is None:
            return
        if rng.random() < 0.1:
            hazard.accept(False, "赵敏", "整改不到位", accepted, self.meta(accepted))
            done = self.at(accepted, 5)
            if done is None:
                return
            hazard.report_rectification("重新清理", "王磊", 100.0, done, self.meta(done))
            accepted = self.at(done, 2)
            if accepted is None:
                return
        hazard.accept(True, "赵敏", "整改合格", accepted, self.meta(accepted))


def interleaved(aggregates: list[Any]) -> list[Any]:
    """All pending events, ordered by business time but never reordered within an aggregate."""
    keyed = []
    seq = 0
    for aggregate in aggregates:
        latest = None
        for event in aggregate.collect_events():
            latest = event.at if latest is None or event.at > latest else latest
            keyed.append((latest, seq, event))
            seq += 1
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in keyed]


def generate(events: int, seed: int = 7, chunk: int = 200) -> Iterator[list[Any]]:
    """Chunks of domain events (log order), `events` of them in total."""
    counties = [r for r in henan_regions().all() if r.level is RegionLevel.COUNTY and not r.retired and not r.nbs_only]
    end = START + timedelta(days=DAYS)
    produced, index = 0, 0
    while produced < events:
        aggregates = []
        for _ in range(chunk):
            aggregates.extend(History(index, random.Random(f"{seed}-{index}"), counties, end).live())
            index += 1
        batch = interleaved(aggregates)[: events - produced]
        produced += len(batch)
        yield batch


def fill(ledger: Ledger, events: int, seed: int = 7, per_transaction: int = 5000,
         progress: Callable[[int], None] | None = None) -> int:
    """Write `events` generated events into the ledger, many per transaction. Returns the count."""
    written = 0
    to_stored = ledger.mapper.to_stored_event
    for batch in generate(events, seed):
        stored = [to_stored(e) for e in batch]
        for i in range(0, len(stored), per_transaction):
            ledger.recorder.insert_events(stored[i : i + per_transaction])
        written += len(stored)
        if progress is not None:
            progress(written)
    return written


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


def timed_catch_up(ledger: Ledger, env: dict[str, str], batch: int, processes: bool) -> tuple[float, int]:
    from projections.parallel import catch_up_in_processes
    from projections.runner import ProjectionRunner

    runner = ProjectionRunner(ledger, batch_size=batch)
    reset_read_model(runner)
    runner.close()
    runner = ProjectionRunner(ledger, batch_size=batch)
    runner.ensure_current()  # the empty read model (position 0); not timed
    started = time.perf_counter()
    applied = sum(catch_up_in_processes(env, batch_size=batch).values()) if processes else runner.catch_up()
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
            seconds, applied = timed_catch_up(ledger, env, args.batch, mode == "processes")
            log(f"{mode}: {written:,} events in {seconds:.1f} s")
            result = {
                "bench": "projection_catchup" if mode == "single" else "projection_catchup_processes",
                "value": round(written / seconds, 1), "unit": "events/s", "events": written,
                "anchor_ref": "es_read_decoded", "seconds": round(seconds, 2), "batch": args.batch, "mode": mode,
                "projections": ["registers", "activity"], "applied": applied,
                "fill_events_per_s": round(fill_rate, 1), **gate,
            }
            print(json.dumps(result), flush=True)
        ledger.close()


if __name__ == "__main__":
    main()
