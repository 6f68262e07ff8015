"""What one ledger event looks like on the wire: subject, headers and JSON body (docs/events.md).

Pure functions, no I/O, so the format is testable on its own and the relay only moves bytes.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

# Never leave the ledger: credentials are hashed, but a hash is still a secret to guess against.
SENSITIVE_FIELDS = frozenset({"password_hash", "secret_hash", "previous_secret_hash"})

# The library's envelope, carried at the top level of the payload instead of inside `data`.
ENVELOPE_FIELDS = frozenset({"originator_id", "originator_version", "originator_topic", "timestamp", "meta", "at"})

MSG_ID = "Nats-Msg-Id"
EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id"
EXPECTED_LAST_SEQUENCE = "Nats-Expected-Last-Sequence"
POSITION = "Ledger-Position"
TOPIC = "Ledger-Topic"

_NOT_A_TOKEN = re.compile(r"[^a-z0-9_-]+")


def msg_id(position: int, app_name: str = "ledger") -> str:
    """The JetStream de-duplication id of the event at `position`: re-publishes collapse into one."""
    return f"{app_name}:{position}"


def position_of_msg_id(value: str | None, app_name: str = "ledger") -> int | None:
    prefix = f"{app_name}:"
    if value and value.startswith(prefix) and value[len(prefix):].isdigit():
        return int(value[len(prefix):])
    return None


def names_of(topic: str) -> tuple[str, str]:
    """`domain.risks.aggregate:Risk.Upgraded` -> ("Risk", "Upgraded")."""
    qualname = topic.rpartition(":")[2]
    parts = qualname.split(".")
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return parts[-1], parts[-1]


def subject_of(topic: str, prefix: str = "ledger") -> str:
    """`domain.risks.aggregate:Risk.Upgraded` -> `ledger.risk.upgraded` (lower case, one token each)."""
    aggregate, event = names_of(topic)
    return f"{prefix}.{_token(aggregate)}.{_token(event)}"


def _token(name: str) -> str:
    return _NOT_A_TOKEN.sub("_", name.lower()) or "_"


def json_safe(value: Any) -> Any:
    """Plain JSON values: datetimes and dates ISO 8601, UUIDs and decimals as strings, enums by value,
    dataclasses and mappings as objects, sequences and sets as arrays, non-finite floats as null."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # the common case, first
        return value
    if kind is datetime:
        return value.isoformat()
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, str | int):  # bool is an int
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "as_dict"):  # Meta and other value objects that say how they serialise
        return json_safe(value.as_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json_safe({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items() if str(k) not in SENSITIVE_FIELDS}
    if isinstance(value, list | tuple | set | frozenset):
        items = [json_safe(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return str(value)


def event_body(notification: Notification, event: Any) -> dict[str, Any]:
    """The JSON document for one decoded event (see docs/events.md for a real example)."""
    fields = vars(event)
    aggregate, name = names_of(notification.topic)
    redacted = sorted(k for k in fields if k in SENSITIVE_FIELDS)
    data = {k: json_safe(v) for k, v in fields.items() if k not in ENVELOPE_FIELDS and k not in SENSITIVE_FIELDS}
    meta = fields.get("meta")
    return {
        "position": notification.id,
        "aggregate_id": str(notification.originator_id),
        "aggregate_type": aggregate,
        "version": notification.originator_version,
        "type": name,
        "topic": notification.topic,
        "business_time": json_safe(fields.get("at")),
        "metadata": json_safe(meta) if meta is not None else None,
        "data": data,
        "redacted": redacted,
    }


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def headers_of(notification: Notification, app_name: str = "ledger") -> dict[str, str]:
    return {
        MSG_ID: msg_id(notification.id, app_name),
        POSITION: str(notification.id),
        TOPIC: notification.topic,
    }
