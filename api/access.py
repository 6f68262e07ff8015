"""Access checks for subscription (client-credentials) tokens that a signed token cannot carry:
the subscription may have been revoked since the token was issued, and calls are rate limited."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


class SubscriptionGate:
    """Is the subscription still live? Cached for `ttl` seconds, so a revocation takes effect
    within that time in every process (default 2 s) instead of at token expiry."""

    def __init__(self, is_live: Callable[[str], bool], ttl: float) -> None:
        self._is_live = is_live
        self._ttl = ttl
        self._cache: dict[str, tuple[float, bool]] = {}

    def live(self, subscription_id: str) -> bool:
        now = time.monotonic()
        cached = self._cache.get(subscription_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        live = self._is_live(subscription_id)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[subscription_id] = (now, live)
        return live


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """A token bucket per subscription and process: `rate` calls per second, bursts up to `burst`."""

    def __init__(self, rate: float, burst: float) -> None:
        self._rate = rate
        self._burst = burst
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int | None:
        """None if the call may go ahead, else the whole seconds to wait (for Retry-After)."""
        if self._rate <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(self._burst, now))
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.at) * self._rate)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return max(1, math.ceil((1 - bucket.tokens) / self._rate))
