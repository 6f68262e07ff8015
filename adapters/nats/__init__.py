"""NATS JetStream adapter: the relay that publishes the ledger's notification log (docs/events.md)."""

from adapters.nats.relay import NatsRelay, RelayError, RelayStuck, run_relay_forever

__all__ = ["NatsRelay", "RelayError", "RelayStuck", "run_relay_forever"]
