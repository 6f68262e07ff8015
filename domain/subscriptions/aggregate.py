"""An enterprise's subscription (接口订阅) to a set of interfaces, with its approval trail.

One aggregate per (enterprise, interface set), so there is at most one live subscription per
enterprise and set: applying again is possible only after a rejection or a revocation, and the
whole trail (every application, rejection reason, approval, revocation, key rotation) stays in
its history. Only hashes of secret keys are ever recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.shared.aggregate import LedgerAggregate
from domain.shared.errors import CommandRefused
from domain.shared.meta import Meta


class SubscriptionStatus(StrEnum):
    PENDING = "pending"      # 待审核
    APPROVED = "approved"    # 已通过
    REJECTED = "rejected"    # 已驳回
    REVOKED = "revoked"      # 已撤销


class Subscription(LedgerAggregate):
    @staticmethod
    def create_id(enterprise_id: str, interfaces: tuple[str, ...]) -> UUID:
        return uuid5(NAMESPACE_URL, f"/enterprises/{enterprise_id}/subscriptions/{','.join(sorted(interfaces))}")

    @event("Applied")
    def __init__(
        self, enterprise_id: str, credit_code: str, interfaces: tuple[str, ...], purpose: str,
        contact_name: str, contact_mobile: str, at: datetime, meta: Meta,
    ) -> None:
        self.enterprise_id = enterprise_id
        self.credit_code = credit_code
        self.interfaces = sorted(interfaces)
        self.registration = {"interfaces": self.interfaces}
        self.decisions: list[dict[str, Any]] = []
        self.secret_hash: str | None = None
        self.previous_secret_hash: str | None = None
        self.previous_valid_until: datetime | None = None
        self.key_version = 0
        self._applied(purpose, contact_name, contact_mobile, at)

    def _applied(self, purpose: str, contact_name: str, contact_mobile: str, at: datetime) -> None:
        self.status = SubscriptionStatus.PENDING
        self.purpose = purpose
        self.contact_name = contact_name
        self.contact_mobile = contact_mobile
        self.applied_at = at

    @property
    def client_id(self) -> str:
        return str(self.id)

    @property
    def is_live(self) -> bool:
        return self.status is SubscriptionStatus.APPROVED

    def reapply(self, purpose: str, contact_name: str, contact_mobile: str, at: datetime, meta: Meta) -> None:
        if self.status in (SubscriptionStatus.PENDING, SubscriptionStatus.APPROVED):
            raise CommandRefused(f"subscription {self.id} is already {self.status.value}; only one live subscription per interface set")
        self._reapplied(purpose=purpose, contact_name=contact_name, contact_mobile=contact_mobile, at=at, meta=meta)

    @event("Reapplied")
    def _reapplied(self, purpose: str, contact_name: str, contact_mobile: str, at: datetime, meta: Meta) -> None:
        self._applied(purpose, contact_name, contact_mobile, at)
        self.secret_hash = self.previous_secret_hash = self.previous_valid_until = None

    def approve(self, secret_hash: str, at: datetime, meta: Meta) -> None:
        self._require(SubscriptionStatus.PENDING, "approved")
        self._approved(secret_hash=secret_hash, at=at, meta=meta)

    @event("Approved")
    def _approved(self, secret_hash: str, at: datetime, meta: Meta) -> None:
        self.status = SubscriptionStatus.APPROVED
        self.secret_hash = secret_hash
        self.key_version += 1
        self.decisions.append({"decision": "approved", "by": meta.actor, "at": at, "reason": None})

    def reject(self, reason: str, at: datetime, meta: Meta) -> None:
        self._require(SubscriptionStatus.PENDING, "rejected")
        self._rejected(reason=reason, at=at, meta=meta)

    @event("Rejected")
    def _rejected(self, reason: str, at: datetime, meta: Meta) -> None:
        self.status = SubscriptionStatus.REJECTED
        self.decisions.append({"decision": "rejected", "by": meta.actor, "at": at, "reason": reason})

    def revoke(self, reason: str, at: datetime, meta: Meta) -> None:
        self._require(SubscriptionStatus.APPROVED, "revoked")
        self._revoked(reason=reason, at=at, meta=meta)

    @event("Revoked")
    def _revoked(self, reason: str, at: datetime, meta: Meta) -> None:
        self.status = SubscriptionStatus.REVOKED
        self.secret_hash = self.previous_secret_hash = self.previous_valid_until = None
        self.decisions.append({"decision": "revoked", "by": meta.actor, "at": at, "reason": reason})

    def rotate_key(self, secret_hash: str, overlap: timedelta, at: datetime, meta: Meta) -> None:
        self._require(SubscriptionStatus.APPROVED, "given a new key")
        self._key_rotated(secret_hash=secret_hash, previous_valid_until=at + overlap, at=at, meta=meta)

    @event("KeyRotated")
    def _key_rotated(self, secret_hash: str, previous_valid_until: datetime, at: datetime, meta: Meta) -> None:
        self.previous_secret_hash = self.secret_hash
        self.previous_valid_until = previous_valid_until
        self.secret_hash = secret_hash
        self.key_version += 1

    def accepts_secret_hash(self, secret_hash: str, now: datetime) -> bool:
        """The current key, or the previous one during the rotation overlap."""
        if not self.is_live:
            return False
        if secret_hash == self.secret_hash:
            return True
        return bool(self.previous_secret_hash == secret_hash and self.previous_valid_until and now < self.previous_valid_until)

    def _require(self, status: SubscriptionStatus, verb: str) -> None:
        if self.status is not status:
            raise CommandRefused(f"subscription {self.id} is {self.status.value}; only a {status.value} one can be {verb}")

    def describe(self) -> str:
        return f"subscription {self.id}"
