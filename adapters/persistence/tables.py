"""Tables the ledger keeps beside its event store (same database, own names)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (BigInteger, Column, DateTime, Float, Index, Integer, LargeBinary, MetaData, String, Table, Text,
                        inspect)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

metadata = MetaData()

# Stored first responses of commands sent with an Idempotency-Key header.
idempotency = Table(
    "ledger_idempotency",
    metadata,
    Column("principal", String(128), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A new client secret waiting to be shown once to its enterprise (deleted when shown).
secret_handover = Table(
    "ledger_secret_handover",
    metadata,
    Column("subscription_id", String(36), primary_key=True),
    Column("secret", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Generated secrets (e.g. the token signing key) so that every process of a deployment shares them.
secrets = Table(
    "ledger_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)

# Every call to the enterprise interface and the token endpoint (adapters/persistence/call_log.py).
# BigInteger ids on PostgreSQL; SQLite only autoincrements an INTEGER primary key, hence the variant.
call_log = Table(
    "call_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("enterprise", String(32)),
    Column("subscription_id", String(64)),
    Column("interface_code", String(64)),
    Column("method", String(8), nullable=False),
    Column("path", String(512), nullable=False),
    Column("status", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("request_id", String(128), nullable=False),
    Column("client_ip", String(64)),
    Column("error_title", String(256)),
    Index("ix_call_log_at", "at"),
    Index("ix_call_log_enterprise_at", "enterprise", "at"),
    Index("ix_call_log_interface_at", "interface_code", "at"),
    Index("ix_call_log_request", "request_id"),  # from an event's meta.request_id to its call (audit)
)

# How far each relay (adapters/nats/relay.py) has copied the notification log: the position of the
# last event the broker acknowledged. One row per relay name, e.g. "nats".
relay_tracking = Table(
    "relay_tracking",
    metadata,
    Column("name", Text, primary_key=True),
    Column("position", BigInteger, nullable=False),
)


def create_missing(engine: Engine, tables: Iterable[Table]) -> None:
    """Create those of `tables` (and of their indexes) that do not exist yet, safely when several processes start at once
    (parallel catch-up children, two `serve`s): between one's "does it exist?" and its CREATE the
    other may have created it, and the database then refuses the CREATE. Such a refusal is only
    an error if the table is still missing afterwards."""
    for table in tables:
        try:
            table.create(engine, checkfirst=True)
        except DBAPIError:
            if not inspect(engine).has_table(table.name):
                raise
        for index in table.indexes:  # an index added to a table that existed before it
            try:
                index.create(engine, checkfirst=True)
            except DBAPIError:
                if index.name not in {i["name"] for i in inspect(engine).get_indexes(table.name)}:
                    raise
