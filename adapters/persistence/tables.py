"""Tables the ledger keeps beside its event store (same database, own names)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, Text

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

# Generated secrets (e.g. the token signing key) so that every process of a deployment shares them.
secrets = Table(
    "ledger_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)
