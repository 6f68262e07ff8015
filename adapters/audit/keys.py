"""The seal's Ed25519 signing key, and the public keys a verifier trusts.

Where the private key comes from, first match wins:
1. LEDGER_SEAL_KEY: a PEM (PKCS#8) private key, or the raw 32-byte seed as 64 hex digits or base64;
2. LEDGER_SEAL_KEY_FILE: a file holding either of those;
3. neither: a seed generated once and kept in the database (`ledger_secrets`, name
   `seal_signing_key`), like the token signing key, with a WARNING saying so. Convenient for a
   demo; in production keep the key outside the database the seal protects (docs/audit-seal.md).

The key id (first 16 hex digits of SHA-256 over the raw public key) is in every signature. Keys
trusted by `verify`: the signing key's public key and any retired keys' public keys listed in
LEDGER_SEAL_TRUSTED_KEYS (PEM files), plus `--public-key` files given on the command line.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption, PrivateFormat, PublicFormat,
                                                          load_pem_private_key)
from sqlalchemy.engine import Engine

from adapters.audit.seal_format import key_id_of, load_public_key, raw_public
from adapters.persistence.secrets import get_or_create_secret

log = logging.getLogger("ledger.seal")

SECRET_NAME = "seal_signing_key"


class SealKeyError(ValueError):
    pass


@dataclass(frozen=True)
class SealKey:
    private: Ed25519PrivateKey
    source: str  # "LEDGER_SEAL_KEY", "LEDGER_SEAL_KEY_FILE <path>" or "database"

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(raw_public(self.public))

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def public_pem(self) -> str:
        return self.public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()

    def private_pem(self) -> str:
        return self.private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def parse_private_key(text: bytes) -> Ed25519PrivateKey:
    stripped = text.strip()
    if stripped.startswith(b"-----BEGIN"):
        key = load_pem_private_key(stripped, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise SealKeyError("the seal key is not an Ed25519 private key")
        return key
    seed: bytes | None = None
    try:
        seed = bytes.fromhex(stripped.decode())
    except ValueError:
        try:
            seed = base64.b64decode(stripped, validate=True)
        except (binascii.Error, ValueError):
            seed = None
    if seed is None or len(seed) != 32:
        raise SealKeyError("the seal key must be a PEM Ed25519 private key or a 32-byte seed in hex or base64")
    return Ed25519PrivateKey.from_private_bytes(seed)


def load_seal_key(engine: Engine, key: str | None, key_file: str | None) -> SealKey:
    if key:
        return SealKey(parse_private_key(key.encode()), "LEDGER_SEAL_KEY")
    if key_file:
        try:
            text = Path(key_file).read_bytes()
        except OSError as error:
            raise SealKeyError(f"cannot read LEDGER_SEAL_KEY_FILE {key_file}: {error.strerror}") from error
        return SealKey(parse_private_key(text), f"LEDGER_SEAL_KEY_FILE {key_file}")
    seed = get_or_create_secret(engine, SECRET_NAME, 32)
    return SealKey(Ed25519PrivateKey.from_private_bytes(seed), "database")


def announce(key: SealKey) -> None:
    """The log line that says which key seals, once per process that seals."""
    if key.source == "database":
        log.warning("seal: no LEDGER_SEAL_KEY or LEDGER_SEAL_KEY_FILE set; signing with the key generated in the "
                    "database (key id %s). Publish its public key (`ledger audit public-key`) and prefer a key "
                    "file outside the database in production", key.key_id)
    else:
        log.info("seal: signing with key %s from %s", key.key_id, key.source)


def trusted_keys(signing: SealKey | None, files: list[str]) -> dict[str, Any]:
    """Public keys by key id: the signing key's and those in `files` (PEM or raw)."""
    keys: dict[str, Any] = {}
    if signing is not None:
        keys[signing.key_id] = signing.public
    for name in files:
        try:
            key = load_public_key(Path(name).read_bytes())
        except OSError as error:
            raise SealKeyError(f"cannot read public key file {name}: {error.strerror}") from error
        except ValueError as error:
            raise SealKeyError(f"{name}: {error}") from error
        keys[key_id_of(raw_public(key))] = key
    return keys
