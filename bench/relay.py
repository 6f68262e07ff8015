"""Relay benchmark: how fast the NATS relay copies an existing log to JetStream.

Writes N events into a fresh PostgreSQL ledger (hazards registered, reported rectified and accepted:
three events each, several hundred aggregates per save), then relays them all to a fresh stream on
the shared nats-server and prints one JSON line (the anchors.sh product contract); details on
stderr. The stream and the database are deleted afterwards.

    python -m bench.relay                      # 20,000 events, batches of 500
    python -m bench.relay --events 50000 --batch 1000 --url nats://127.0.0.1:4222
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from adapters.nats.relay import NatsRelay
from domain.hazards.aggregate import Hazard
from domain.ledger import Ledger
from domain.shared.meta import Meta
from tests.support.nats import SHARED_URL, connect, delete_stream
from tests.support.postgres import fresh_database

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def write_events(ledger: Ledger, events: int, per_save: int = 300) -> int:
    """Write `events` events (rounded up to whole hazards) and return how many were written."""
    enterprise_id = str(uuid.uuid4())
    hazards = -(-events // 3)
    written = 0
    for start in range(0, hazards, per_save):
        batch = []
        for i in range(start, min(start + per_save, hazards)):
            request = uuid.uuid4().hex
            meta = Meta("user:bench", "rest", T0 + timedelta(days=30), request, request)
            hazard = Hazard(
                enterprise_id=enterprise_id, hazard_code=f"BH-{i:07d}", name="储罐区可燃气体报警器失效",
                description="2 号报警器无响应", level="general", source="self_inspection", risk_id=None,
                rectification_deadline=T0 + timedelta(days=7), responsible_person="王磊", governance_type="deadline",
                rectification_plan=None, at=T0, meta=meta,
            )
            hazard.report_rectification("更换报警器", "王磊", 1200.0, T0 + timedelta(days=2), meta)
            hazard.accept(True, "赵敏", "合格", T0 + timedelta(days=3), meta)
            batch.append(hazard)
        written += len(ledger.save(*batch))
    return written


async def relay_everything(relay: NatsRelay) -> tuple[int, float]:
    await relay.relay_once(1)  # connect and create the stream outside the timed part
    started = time.perf_counter()
    total = 1
    while count := await relay.relay_once():
        total += count
    elapsed = time.perf_counter() - started
    await relay.close()
    return total, elapsed


async def stream_count(url: str, stream: str) -> int:
    nc = await connect(url)
    try:
        return (await nc.jetstream().stream_info(stream)).state.messages
    finally:
        await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500, help="events per relay batch (in flight at once)")
    parser.add_argument("--url", default=SHARED_URL, help="nats-server with JetStream")
    args = parser.parse_args()

    token = uuid.uuid4().hex[:12]
    stream, prefix = f"LEDGER_BENCH_{token.upper()}", f"bench{token}"
    with fresh_database("ledger_bench") as url:
        ledger = Ledger(env={"PERSISTENCE_MODULE": "adapters.persistence.lean_recorder", "SQLALCHEMY_URL": url})
        try:
            started = time.perf_counter()
            events = write_events(ledger, args.events)
            log(f"wrote {events} events in {time.perf_counter() - started:.1f} s")
            engine = ledger.recorder.datastore.engine  # type: ignore[attr-defined]
            relay = NatsRelay(ledger, engine, args.url, stream=stream, subject_prefix=prefix, batch_size=args.batch,
                              exclusive=False)
            try:
                relayed, elapsed = asyncio.run(relay_everything(relay))
                stored = asyncio.run(stream_count(args.url, stream))
            finally:
                asyncio.run(delete_stream(args.url, stream))
            if relayed != events or stored != events or relay.status()["lag"] != 0:
                raise SystemExit(f"relayed {relayed}, stream holds {stored}, ledger has {events}: not a full copy")
            rate = relayed / elapsed
            log(f"relayed {relayed} events in {elapsed:.2f} s ({rate:,.0f} events/s, batches of {args.batch})")
            print(json.dumps({"bench": "nats_relay", "value": round(rate, 1), "unit": "events/s", "events": relayed,
                              "anchor_ref": "nats_js_async"}))
        finally:
            ledger.close()


if __name__ == "__main__":
    main()
