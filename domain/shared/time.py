"""Time is injected: a Clock is any callable returning an aware datetime.

Domain code never calls `datetime.now()`; the composition root passes a real clock and tests a fake
one, so reminders and audits can be replayed at any moment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from domain.shared.errors import InvalidValue

Clock = Callable[[], datetime]

# Business times stated by a client may run ahead of the server clock by this much (clock skew).
FUTURE_TOLERANCE = timedelta(minutes=5)


def require_aware(value: datetime, field: str) -> datetime:
    """Refuse naive datetimes: a ledger that mixes time zones cannot be audited."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(field, "must carry a time zone offset, e.g. 2026-11-23T09:30:00+08:00")
    return value


def require_not_future(value: datetime, now: datetime, field: str) -> datetime:
    """A business time may not lie in the future of the ledger's clock (beyond small skew)."""
    require_aware(value, field)
    if value > now + FUTURE_TOLERANCE:
        raise InvalidValue(field, f"{value.isoformat()} lies in the future (ledger time {now.isoformat()})")
    return value
