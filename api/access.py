"""Access checks that a signed token cannot carry: the subscription (client-credentials token) may
have been revoked, or the user (session token) deactivated, since the token was issued; and calls
are rate limited."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.identity.aggregate import User

T = TypeVar("T")


class CachedCheck(Generic[T]):
    """One answer per key from the event store, cached for `ttl` seconds: a revocation or a
    deactivation written by any process (another worker, the CLI) takes effect here within `ttl`,
    while a busy token costs one lookup per `ttl`, not one per request."""

    def __init__(self, check: Callable[[str], T], ttl: float) -> None:
        self._check = check
        self._ttl = ttl
        self._cache: dict[str, tuple[float, T]] = {}

    def get(self, key: str) -> T:
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        answer = self._check(key)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[key] = (now, answer)
        return answer

    def forget(self, key: str) -> None:
        """Drop the cached answer, so a change made in this process applies at once."""
        self._cache.pop(key, None)


class SubscriptionGate(CachedCheck[bool]):
    """Is the subscription still live? (LEDGER_SUBSCRIPTION_CHECK_SECONDS, default 2 s)"""

    def live(self, subscription_id: str) -> bool:
        return self.get(subscription_id)


@dataclass(frozen=True)
class UserStanding:
    active: bool
    tokens_revoked_at: float | None  # epoch seconds of the last deactivation


def standing_of(user: User | None) -> UserStanding:
    if user is None:
        return UserStanding(False, None)
    revoked = user.tokens_revoked_at.timestamp() if user.tokens_revoked_at is not None else None
    return UserStanding(user.is_active, revoked)


class UserGate(CachedCheck[UserStanding]):
    """May the user behind a session token still get in? (LEDGER_USER_CHECK_SECONDS, default 2 s)

    A deactivated user's tokens are refused; after a reactivation, tokens issued before the
    deactivation stay refused (the deactivation may have been for a leaked token)."""

    def refusal(self, username: str, issued_at: float) -> str | None:
        """Why the token must be refused, or None if it may be used."""
        standing = self.get(username)
        if not standing.active:
            return "the user is deactivated" if standing.tokens_revoked_at is not None else "no such user"
        if standing.tokens_revoked_at is not None and issued_at <= standing.tokens_revoked_at:
            return "issued before the user was deactivated; log in again"
        return None


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
