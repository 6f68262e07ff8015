"""Users of the ledger's doors. Event-sourced like everything else, so who was given which role,
by whom and when, is part of the audited history. Only an argon2 hash of a password is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.shared.aggregate import LedgerAggregate
from domain.shared.errors import CommandRefused, InvalidValue
from domain.shared.meta import Meta


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True)
class Scope:
    """What a supervisor may see: a region code prefix, optionally some industries and one level."""

    region_prefix: str | None = None
    industries: tuple[str, ...] = field(default_factory=tuple)
    supervision_level: str | None = None

    def covers(self, region_code: str, industry: str, supervision_level: str) -> bool:
        if self.region_prefix and not region_code.startswith(self.region_prefix):
            return False
        if self.industries and industry not in self.industries:
            return False
        return not (self.supervision_level and supervision_level != self.supervision_level)


def region_prefix_of(region_code: str) -> str:
    """410000 -> '41', 410100 -> '4101', 410185 -> '410185': the code's meaningful prefix."""
    if region_code.endswith("0000"):
        return region_code[:2]
    if region_code.endswith("00"):
        return region_code[:4]
    return region_code


class User(LedgerAggregate):
    # Class attributes, not annotations: the library would make annotations event fields.
    deactivation_reason = None
    tokens_revoked_at = None  # tokens issued at or before the last deactivation stay refused after a reactivation

    @staticmethod
    def create_id(username: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/users/{username}")

    @event("Registered")
    def __init__(
        self,
        username: str,
        role: str,
        password_hash: str,
        region_code: str | None,
        industries: list[str],
        supervision_level: str | None,
        credit_code: str | None,
        at: datetime,
        meta: Meta,
        mobile: str | None = None,  # added after the first users were stored: older events lack it
    ) -> None:
        self.username = username
        self.mobile = mobile
        self.role = Role(role)
        self.password_hash = password_hash
        self.region_code = region_code
        self.industries = list(industries)
        self.supervision_level = supervision_level
        self.credit_code = credit_code
        self.registration = {
            "username": username, "role": role, "region_code": region_code, "industries": list(industries),
            "supervision_level": supervision_level, "credit_code": credit_code,
        } | ({"mobile": mobile} if mobile else {})

    @property
    def scope(self) -> Scope:
        prefix = region_prefix_of(self.region_code) if self.region_code else None
        return Scope(prefix, tuple(self.industries), self.supervision_level)

    @property
    def is_active(self) -> bool:
        return self.ended_reason is None

    def change_password(self, password_hash: str, at: datetime, meta: Meta) -> None:
        self._require_open()
        self._password_changed(password_hash=password_hash, at=at, meta=meta)

    @event("PasswordChanged")
    def _password_changed(self, password_hash: str, at: datetime, meta: Meta) -> None:
        self.password_hash = password_hash

    def change_mobile(self, mobile: str | None, at: datetime, meta: Meta) -> bool:
        """Reminders reach supervisors at this number; False (no event) when it is unchanged."""
        self._require_open()
        if mobile == self.mobile:
            return False
        self._mobile_changed(mobile=mobile, at=at, meta=meta)
        return True

    @event("MobileChanged")
    def _mobile_changed(self, mobile: str | None, at: datetime, meta: Meta) -> None:
        self.mobile = mobile

    def deactivate(self, reason: str, at: datetime, meta: Meta) -> None:
        """From now on the user cannot log in, and tokens issued before are refused (the API checks
        `is_active` behind a short cache); the event's meta names who did it, `reason` says why."""
        self._require_open()
        self._deactivated(reason=reason, at=at, meta=meta)

    @event("Deactivated")
    def _deactivated(self, reason: str, at: datetime, meta: Meta) -> None:
        self.ended_reason = "deactivated"
        self.deactivation_reason = reason
        self.tokens_revoked_at = at

    def reactivate(self, reason: str, at: datetime, meta: Meta) -> None:
        """Undo a deactivation: the user may log in again, but tokens issued before the deactivation
        stay refused (`tokens_revoked_at`), in case it was for a leaked token. Refused if active."""
        if self.is_active:
            raise CommandRefused(f"{self.describe()} is active; there is nothing to reactivate")
        self._reactivated(reason=reason, at=at, meta=meta)

    @event("Reactivated")
    def _reactivated(self, reason: str, at: datetime, meta: Meta) -> None:
        self.ended_reason = None
        self.deactivation_reason = None

    def describe(self) -> str:
        return f"user {self.username}"


def check_role_binding(role: Role, region_code: str | None, credit_code: str | None) -> None:
    """A supervisor needs a region scope; an enterprise user is bound to exactly one enterprise."""
    if role is Role.SUPERVISOR and not region_code:
        raise InvalidValue("region", "a supervisor needs a region code scope")
    if role is Role.ENTERPRISE and not credit_code:
        raise InvalidValue("enterprise", "an enterprise user must be bound to an enterprise credit code")
    if role is not Role.ENTERPRISE and credit_code:
        raise InvalidValue("enterprise", f"a {role.value} user cannot be bound to an enterprise")
