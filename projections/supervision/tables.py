"""Table templates of the supervision projections (generations as in projections/schema.py)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, Integer, String, Table, Text

from projections.schema import ID, Time, metadata

# What the reminder scan reads per enterprise: when it registered, its first risk and its latest
# investigation, each with the event that proves it (position and topic: a reminder resolved by
# it names it).
scan_enterprises = Table(
    "rm_scan_enterprises",
    metadata,
    Column("enterprise_id", ID, primary_key=True),
    Column("credit_code", String(18), nullable=False),
    Column("name", String(200), nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("industry", String(40), nullable=False),
    Column("supervision_level", String(10), nullable=False),
    Column("status", String(16), nullable=False),  # active | deregistered
    Column("registered_at", Time, nullable=False),
    Column("first_risk_at", Time),
    Column("first_risk_position", BigInteger),
    Column("first_risk_topic", String(200)),
    Column("last_investigation_at", Time),
    Column("last_investigation_position", BigInteger),
    Column("last_investigation_topic", String(200)),
    Column("position", BigInteger, nullable=False),
    Index("ix_rm_scan_enterprises_due", "status", "last_investigation_at", "registered_at"),
)

# Hazards with a rectification deadline, open until accepted or invalidated.
scan_hazards = Table(
    "rm_scan_hazards",
    metadata,
    Column("hazard_id", ID, primary_key=True),
    Column("enterprise_id", ID, nullable=False),
    Column("hazard_code", String(64), nullable=False),
    Column("deadline", Time),
    Column("open", Integer, nullable=False),  # 1 until accepted or invalidated
    Column("closed_at", Time),
    Column("closed_position", BigInteger),
    Column("closed_topic", String(200)),
    Index("ix_rm_scan_hazards_enterprise", "enterprise_id"),
    Index("ix_rm_scan_hazards_due", "open", "deadline"),
)

reminders = Table(
    "rm_reminders",
    metadata,
    Column("reminder_id", ID, primary_key=True),
    Column("credit_code", String(18), nullable=False),
    Column("enterprise_name", String(200), nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("industry", String(40), nullable=False),
    Column("supervision_level", String(10), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("cycle_key", String(120), nullable=False),
    Column("subject", String(36)),  # the hazard of a rectification reminder
    Column("basis_day", Date, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("fact", Text, nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # open | escalated | resolved | closed
    Column("escalation_level", Integer, nullable=False),
    Column("escalated_at", Time),
    Column("answered", Integer, nullable=False),  # a supervisor answered the latest escalation
    Column("first_escalated_at", Time),  # level 1: automatic planning counts from it
    Column("planned", Integer, nullable=False),  # 1 once an enforcement-plan entry named the reminder
    Column("raised_at", Time, nullable=False),
    Column("ended_at", Time),
    Column("position", BigInteger, nullable=False),
    Index("ix_rm_reminders_enterprise", "credit_code", "status"),
    Index("ix_rm_reminders_status", "status", "raised_at"),
)

# The enforcement plan (执法计划): one row per (period, enterprise), withdrawn rows kept.
# `reminder_ids`: the reminders the entry answers, space-separated.
enforcement_plan = Table(
    "rm_enforcement_plan",
    metadata,
    Column("entry_id", ID, primary_key=True),
    Column("credit_code", String(18), nullable=False),
    Column("enterprise_name", String(200), nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("industry", String(40), nullable=False),
    Column("supervision_level", String(10), nullable=False),
    Column("period", String(7), nullable=False),
    Column("status", String(16), nullable=False),  # planned | withdrawn
    Column("reason", Text, nullable=False),
    Column("origin", String(16), nullable=False),  # supervisor | system
    Column("added_by", String(80), nullable=False),
    Column("added_at", Time, nullable=False),
    Column("reminder_ids", Text, nullable=False),
    Column("withdrawn_reason", Text),
    Column("withdrawn_by", String(80)),
    Column("withdrawn_at", Time),
    Column("position", BigInteger, nullable=False),
    Index("ix_rm_enforcement_plan_period_region", "period", "region_code", "credit_code"),
    Index("ix_rm_enforcement_plan_region", "region_code", "period"),
)

# Due messages (the Reminder events are the outbox; this is its queue for the dispatcher).
outbox = Table(
    "rm_outbox",
    metadata,
    Column("message_id", ID, primary_key=True),
    Column("reminder_id", ID, nullable=False),
    Column("channel", String(8), nullable=False),  # sms | inapp
    Column("recipient", String(80), nullable=False),  # enterprise:<credit code> | user:<username>
    Column("title", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("due_at", Time, nullable=False),
    Column("status", String(16), nullable=False),  # pending | held | capped | retrying | delivered | failed | cancelled
    Column("results", Integer, nullable=False),  # delivery results recorded so far
    Column("updated_at", Time, nullable=False),
    Index("ix_rm_outbox_status", "status", "due_at"),
)

# In-app messages per recipient (an enterprise's messages are shared by its users).
inbox = Table(
    "rm_inbox",
    metadata,
    Column("message_id", ID, primary_key=True),
    Column("recipient", String(80), nullable=False),
    Column("reminder_id", ID, nullable=False),
    Column("title", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", Time, nullable=False),
    Column("read_at", Time),
    Column("read_by", String(80)),
    Index("ix_rm_inbox_recipient", "recipient", "created_at"),
)
