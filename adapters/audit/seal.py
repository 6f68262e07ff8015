"""The seal as the composition root hands it out: its store, its key (loaded once, when first
needed), and the sealer, verifier and proof builder over them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from adapters.audit.keys import SealKey, load_seal_key, trusted_keys
from adapters.audit.proofs import enterprise_proof
from adapters.audit.sealer import Sealer
from adapters.audit.store import SealStore
from adapters.audit.verify import Verifier


@dataclass
class Seal:
    store: SealStore
    clock: Callable[[], datetime]
    key_setting: str | None = None
    key_file: str | None = None
    trusted_key_files: list[str] = field(default_factory=list)
    checkpoint_events: int = 1000
    sign_seconds: float = 3600.0
    _key: SealKey | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, engine: Engine, events_table: Table, clock: Callable[[], datetime], **options: Any) -> Seal:
        return cls(SealStore(engine, events_table), clock, **options)

    def key(self) -> SealKey:
        with self._lock:
            if self._key is None:
                self._key = load_seal_key(self.store.engine, self.key_setting, self.key_file)
            return self._key

    def sealer(self) -> Sealer:
        return Sealer(self.store, self.key(), self.clock, checkpoint_events=self.checkpoint_events,
                      sign_seconds=self.sign_seconds)

    def verifier(self, public_key_files: list[str] | None = None, *, only_given: bool = False) -> Verifier:
        """Trusting the signing key and the configured retired keys, plus `public_key_files`; or,
        with `only_given`, those files alone (checking against a published key)."""
        if only_given:
            return Verifier(self.store, trusted_keys(None, list(public_key_files or [])))
        return Verifier(self.store, trusted_keys(self.key(), [*self.trusted_key_files, *(public_key_files or [])]))

    def digest(self, at: int | None = None) -> dict[str, Any] | None:
        """The signed checkpoint at or before `at` (default: the newest) as a publishable digest."""
        cp = self.store.checkpoint_at_or_before(at if at is not None else 2**62)
        if cp is None:
            return None
        return {"ledger": "dual-prevention-ledger", "kind": "seal-digest", **cp.as_json(),
                "exported_at": self.clock().isoformat()}

    def proof(self, credit_code: str, at: int | None) -> dict[str, Any]:
        return enterprise_proof(self.store, credit_code, at, self.clock())
