"""Relay lag under the command benchmark's load: how far the NATS relay inside `ledger serve` falls
behind the log while 16 enterprise systems send commands, and how fast it catches up afterwards.

    python -m bench.relay_lag                          # 16 clients, 5,000 commands, samples every 0.25 s
    python -m bench.relay_lag --commands 10000 --interval 0.1
    ../shared/perf/anchors.sh --only nats_js_async,pg_lock_notify_8c --product '.venv/bin/python -m bench.relay_lag'

Starts `ledger serve` on a fresh PostgreSQL database with LEDGER_NATS_URL and a stream and subject
prefix of its own (the stream is deleted afterwards), connects 16 enterprises as bench/commands.py
does, warms up, waits until the relay is at the head, then drives the same command mix
(bench/commands.py `drive`) while a thread samples the relay's `status()` (head position minus the
`relay_tracking` position: adapters/nats/relay.py) every `--interval` seconds.

Prints JSON lines (the anchors.sh product contract), details on stderr:
- `relay_lag_max` / `relay_lag_p95` (events: log positions behind the head, sampled during the load;
  `seconds_of_writes` turns the p95 into time at the load's write rate),
- `relay_drain_s` (seconds from the end of the load until the relay reached the head as it was then),
- `relay_throughput_under_load` (events/s the relay had acknowledged by JetStream during the load;
  at most the rate the commands wrote them, which the line also gives).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import threading
import time
import uuid
from typing import Any

from adapters.nats.relay import NatsRelay
from bench.commands import drive, prepare_enterprises, server
from domain.ledger import Ledger
from tests.support.nats import SHARED_URL, delete_stream
from tests.support.postgres import fresh_database

ENV = "adapters.persistence.lean_recorder"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Sampler(threading.Thread):
    """Reads the relay's status every `interval` seconds: (monotonic time, head, position)."""

    def __init__(self, relay: NatsRelay, interval: float) -> None:
        super().__init__(name="relay-lag-sampler", daemon=True)
        self.relay, self.interval = relay, interval
        self.samples: list[tuple[float, int, int]] = []
        self.stopped = threading.Event()

    def sample(self) -> tuple[float, int, int]:
        status = self.relay.status()
        return time.monotonic(), status["head"], status["position"]

    def run(self) -> None:
        next_at = time.monotonic()
        while not self.stopped.is_set():
            self.samples.append(self.sample())
            next_at += self.interval
            self.stopped.wait(max(0.0, next_at - time.monotonic()))


def wait_until_caught_up(sampler: Sampler, head: int, timeout: float) -> float:
    """Seconds until the relay's position reaches `head` (polled every 10 ms)."""
    started = time.monotonic()
    while sampler.relay.position() < head:
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"relay did not reach position {head} within {timeout} s: {sampler.relay.status()}")
        time.sleep(0.01)
    return time.monotonic() - started


def percentile(values: list[int], p: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--commands", type=int, default=5000, help="commands in the timed load")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between lag samples")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="server worker processes")
    parser.add_argument("--port", type=int, default=18768)
    parser.add_argument("--url", default=SHARED_URL, help="nats-server with JetStream")
    args = parser.parse_args(argv)
    gate = json.loads(os.environ["PERF_GATE"]) if os.environ.get("PERF_GATE", "").startswith("{") else {}

    token = (os.environ.get("PERF_RUN_ID", "") + uuid.uuid4().hex[:8]).replace("-", "_").lower()[-20:]
    stream, prefix = f"LEDGER_RELAYLAG_{token.upper()}", f"relaylag{token}"
    extra = {"LEDGER_WORKERS": str(args.workers), "LEDGER_NATS_URL": args.url, "LEDGER_NATS_STREAM": stream,
             "LEDGER_NATS_SUBJECT_PREFIX": prefix}
    try:
        with fresh_database("ledger_relay_lag") as database_url, server(database_url, args.port, extra) as (url, env):
            ledger = Ledger(env={"PERSISTENCE_MODULE": ENV, "SQLALCHEMY_URL": database_url})
            engine = ledger.recorder.datastore.engine  # type: ignore[attr-defined]
            relay = NatsRelay(ledger, engine, args.url, stream=stream, subject_prefix=prefix)  # status() only
            try:
                results = measure(args, url, env, relay)
            finally:
                ledger.close()
    finally:
        asyncio.run(delete_stream(args.url, stream))
    rate = results["written_events_per_s"]
    common = {"clients": args.clients, "commands": results["load"]["commands"], "interval_s": args.interval,
              "samples": results["samples"], "workers": args.workers}
    lines = [
        {"bench": "relay_lag_max", "value": results["lag_max"], "unit": "events", **common},
        {"bench": "relay_lag_p95", "value": results["lag_p95"], "unit": "events", "lag_p50": results["lag_p50"],
         "lag_mean": results["lag_mean"], "seconds_of_writes": round(results["lag_p95"] / rate, 3) if rate else None,
         **common},
        {"bench": "relay_drain_s", "value": results["drain_s"], "unit": "s", "lag_at_end": results["lag_at_end"], **common},
        {"bench": "relay_throughput_under_load", "value": results["relay_events_per_s"], "unit": "events/s",
         "written_events_per_s": results["written_events_per_s"], "commands_per_s": results["load"]["value"],
         "p99_ms": results["load"]["p99_ms"], "errors": results["load"]["errors"], "anchor_ref": "nats_js_async", **common},
    ]
    for line in lines:
        print(json.dumps(line | gate), flush=True)


def measure(args: argparse.Namespace, url: str, env: dict[str, str], relay: NatsRelay) -> dict[str, Any]:
    auths = prepare_enterprises(url, env, args.clients)
    asyncio.run(drive(url, auths, args.clients, 200))  # warm-up
    sampler = Sampler(relay, args.interval)
    wait_until_caught_up(sampler, relay.status()["head"], timeout=60)
    start = sampler.sample()
    sampler.start()
    load = asyncio.run(drive(url, auths, args.clients, args.commands))
    end = sampler.sample()
    sampler.stopped.set()
    sampler.join()
    drain = wait_until_caught_up(sampler, end[1], timeout=120)
    seconds = end[0] - start[0]
    lags = [head - position for _, head, position in sampler.samples]
    relayed, written = end[2] - start[2], end[1] - start[1]
    log(f"{args.clients} clients: {load['value']:.0f} commands/s (p99 {load['p99_ms']} ms, errors {load['errors']}); "
        f"relay lag over {len(lags)} samples: max {max(lags)}, p95 {percentile(lags, 0.95)}, "
        f"median {statistics.median(lags)}; {relayed / seconds:,.0f} events/s relayed of {written / seconds:,.0f} "
        f"written; at the end {end[1] - end[2]} behind, at the head {drain:.2f} s later")
    return {
        "load": load, "samples": len(lags), "lag_max": max(lags), "lag_p95": percentile(lags, 0.95),
        "lag_p50": percentile(lags, 0.5), "lag_mean": round(statistics.fmean(lags), 1),
        "lag_at_end": end[1] - end[2], "drain_s": round(drain, 3),
        "relay_events_per_s": round(relayed / seconds, 1), "written_events_per_s": round(written / seconds, 1),
    }


if __name__ == "__main__":
    main()
