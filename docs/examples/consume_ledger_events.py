"""Follow the ledger's events from JetStream with a durable pull consumer (docs/events.md).

    python docs/examples/consume_ledger_events.py --url nats://127.0.0.1:4222 --stream LEDGER --durable audit-mirror
    python docs/examples/consume_ledger_events.py --subject 'ledger.hazard.>'     # only hazards

The durable consumer remembers on the server what was acknowledged, so a restart continues where
the last run stopped. Delivery is at least once: a message whose ack was lost comes again, so the
handler skips positions it has already applied. Here that memory is a variable; a real consumer
keeps its last position in the same transaction as the effects of the event (as the ledger's own
projections do), and skips `position <= last_position`.
Stop with Ctrl-C: the fetched batch is finished and acknowledged first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from typing import Any

import nats
from nats.errors import TimeoutError as FetchTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy


def handle(event: dict[str, Any]) -> None:
    """Apply one event. Replace with your own: update a read model, notify, forward, ..."""
    meta = event["metadata"] or {}
    print(f'{event["position"]:>8} {event["aggregate_type"]}.{event["type"]:<24} '
          f'{event["aggregate_id"]} v{event["version"]}  by {meta.get("actor")} at {meta.get("recorded_at")}', flush=True)


async def consume(url: str, stream: str, durable: str, subject: str, batch: int) -> None:
    nc = await nats.connect(url, name=f"ledger-consumer-{durable}")
    js = nc.jetstream()
    subscription = await js.pull_subscribe(
        subject, durable=durable, stream=stream,
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, ack_wait=30, max_ack_pending=batch * 4),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    last_position = 0  # keep this with your effects in a real consumer
    try:
        while not stop.is_set():
            try:
                messages = await subscription.fetch(batch=batch, timeout=2)
            except FetchTimeout:
                continue  # nothing new; ask again
            for msg in messages:
                event = json.loads(msg.data)
                if event["position"] > last_position:  # at least once: skip what was already applied
                    handle(event)
                    last_position = event["position"]
                await msg.ack()
    finally:
        await subscription.unsubscribe()  # first: nats-py 2.16 cannot drain a pull subscription
        await nc.drain()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="nats://127.0.0.1:4222", help="NATS server URL")
    parser.add_argument("--stream", default="LEDGER", help="the relay's stream")
    parser.add_argument("--durable", default="ledger-example", help="durable consumer name (one per application)")
    parser.add_argument("--subject", default="ledger.>", help="filter, e.g. ledger.risk.> or ledger.hazard.accepted")
    parser.add_argument("--batch", type=int, default=100, help="messages per fetch")
    args = parser.parse_args()
    asyncio.run(consume(args.url, args.stream, args.durable, args.subject, args.batch))


if __name__ == "__main__":
    main()
