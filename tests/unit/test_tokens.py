"""Session tokens are timed by the injected clock only (a moved clock must accept its own tokens)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.crypto.tokens import TokenInvalid, TokenIssuer

LATER = datetime(2031, 1, 1, tzinfo=UTC)  # years after the wall clock of any test run


def test_a_token_issued_by_a_clock_ahead_of_the_wall_clock_is_valid_at_that_clock() -> None:
    issuer = TokenIssuer(b"k" * 32, timedelta(minutes=60))
    token = issuer.issue("alice", {"role": "admin"}, LATER)
    assert issuer.verify(token, LATER + timedelta(minutes=1))["sub"] == "alice"
    with pytest.raises(TokenInvalid, match="expired"):
        issuer.verify(token, LATER + timedelta(hours=2))
    with pytest.raises(TokenInvalid, match="not yet valid"):
        TokenIssuer(b"k" * 32, timedelta(minutes=60)).verify(token, LATER - timedelta(hours=1))
