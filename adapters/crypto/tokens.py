"""Signed bearer tokens (JWT, HS256) for sessions; the signing key comes from config or the key store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt

ISSUER = "dual-prevention-ledger"
CLOCK_SKEW_SECONDS = 60  # between the processes of a deployment


class TokenInvalid(Exception):
    """Missing, malformed, tampered with or expired."""


@dataclass(frozen=True)
class TokenIssuer:
    key: bytes
    lifetime: timedelta
    # Verified claims by token: checking the signature again on every request of a session costs
    # more than the rest of authentication. Expiry is still checked on every request.
    _verified: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)
    cache_size: int = 10_000

    def issue(self, subject: str, claims: dict[str, Any], now: datetime) -> str:
        payload = {"sub": subject, "iss": ISSUER, "iat": int(now.timestamp()),
                   "exp": int((now + self.lifetime).timestamp()), **claims}
        return jwt.encode(payload, self.key, algorithm="HS256")

    def verify(self, token: str, now: datetime) -> dict[str, Any]:
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify_signature(token)
            if len(self._verified) >= self.cache_size:
                self._verified.clear()
            self._verified[token] = claims
        # Times are checked against the injected clock, never the wall clock (pyjwt's own checks are
        # off): a ledger whose clock is moved (tests, drills) must accept the tokens it issues.
        if claims["exp"] <= now.timestamp():
            raise TokenInvalid("token has expired")
        if claims["iat"] > now.timestamp() + CLOCK_SKEW_SECONDS:
            raise TokenInvalid("token is not yet valid (issued in the future)")
        return claims

    def _verify_signature(self, token: str) -> dict[str, Any]:
        try:
            claims = jwt.decode(
                token, self.key, algorithms=["HS256"], issuer=ISSUER,
                options={"require": ["exp", "iat", "sub"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as error:
            raise TokenInvalid(str(error)) from None
        return claims
