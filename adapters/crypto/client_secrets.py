"""Client secrets of subscriptions: 256 random bits, so a fast hash is enough to store them
(no password to brute-force); only the hash ever reaches the ledger."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_client_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
