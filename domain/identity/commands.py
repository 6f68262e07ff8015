"""Use cases on users. Passwords arrive already hashed: hashing is an adapter's job."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.enterprises.commands import EnterpriseCommands
from domain.identity.aggregate import Role, User, check_role_binding
from domain.shared.codes import Industry, MobileNumber, SupervisionLevel
from domain.shared.commands import CommandContext, CommandRunner, Receipt
from domain.shared.errors import InvalidValue, NotFound
from domain.shared.regions import henan_regions
from domain.shared.validation import Checks, require_text


@dataclass(frozen=True)
class UserSpec:
    username: str
    role: str
    region_code: str | None = None
    industries: tuple[str, ...] = ()
    supervision_level: str | None = None
    credit_code: str | None = None
    mobile: str | None = None


def _username(text: str) -> str:
    name = (text or "").strip()
    if not (3 <= len(name) <= 64) or not all(c.isalnum() or c in "._-@" for c in name):
        raise InvalidValue("username", "3-64 letters, digits or . _ - @")
    return name


def _role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise InvalidValue("role", f"unknown role {text!r}; expected one of {', '.join(r.value for r in Role)}") from None


class UserCommands:
    def __init__(self, runner: CommandRunner, enterprises: EnterpriseCommands,
                 list_ids: Callable[[str], list[UUID]] = lambda topic: []) -> None:
        self._runner = runner
        self._enterprises = enterprises
        self._list_ids = list_ids

    def add(self, ctx: CommandContext, spec: UserSpec, password_hash: str) -> Receipt:
        checks = Checks()
        username = checks.run(_username, spec.username)
        role = checks.run(_role, spec.role)
        region = checks.run(henan_regions().parse, spec.region_code, "region") if spec.region_code else None
        industries = [checks.run(Industry.parse, i, "industries") for i in spec.industries]
        level = checks.run(SupervisionLevel.parse, spec.supervision_level) if spec.supervision_level else None
        mobile = checks.run(MobileNumber.parse, spec.mobile) if spec.mobile else None
        if role is not None:
            checks.run(check_role_binding, role, spec.region_code, spec.credit_code)
        checks.done()
        credit = None
        if spec.credit_code:
            credit = self._enterprises.active(spec.credit_code).credit_code
        fields = {
            "username": username, "role": role.value, "region_code": region.code if region else None,
            "industries": [i.value for i in industries if i], "supervision_level": level.value if level else None,
            "credit_code": credit,
        }
        number = str(mobile) if mobile else None
        return self._runner.create(
            ctx,
            User.create_id(username),
            build=lambda: User(**fields, password_hash=password_hash, at=ctx.meta.recorded_at, meta=ctx.meta,
                               mobile=number),
            same_as=lambda existing: existing.same_registration(fields | ({"mobile": number} if number else {})),
        )

    def change_mobile(self, ctx: CommandContext, username: str, mobile: str | None) -> Receipt:
        number = str(MobileNumber.parse(mobile)) if mobile else None
        return self._change(ctx, username, lambda u: u.change_mobile(number, ctx.meta.recorded_at, ctx.meta))

    def supervisors(self) -> list[User]:
        """Every supervisor, active or not (routing skips the inactive): a register of hundreds,
        read from the log's user registrations."""
        found = [self.find_by_id(i) for i in self._list_ids(get_topic(User.Registered))]
        return [u for u in found if u is not None and u.role is Role.SUPERVISOR]

    def find_by_id(self, user_id: UUID) -> User | None:
        try:
            return self._runner.load(user_id, User)
        except NotFound:
            return None

    def change_password(self, ctx: CommandContext, username: str, password_hash: str) -> Receipt:
        return self._change(ctx, username, lambda u: u.change_password(password_hash, ctx.meta.recorded_at, ctx.meta))

    def deactivate(self, ctx: CommandContext, username: str, reason: str) -> Receipt:
        why = require_text(reason, "reason")
        return self._change(ctx, username, lambda u: u.deactivate(why, ctx.meta.recorded_at, ctx.meta))

    def reactivate(self, ctx: CommandContext, username: str, reason: str) -> Receipt:
        why = require_text(reason, "reason")
        return self._change(ctx, username, lambda u: u.reactivate(why, ctx.meta.recorded_at, ctx.meta))

    def _change(self, ctx: CommandContext, username: str, decide: Callable[[User], None]) -> Receipt:
        """Name the user in the refusal: the runner's "no user with id <uuid>" tells an operator nothing."""
        try:
            return self._runner.change(ctx, User.create_id(username), User, decide)
        except NotFound:
            raise NotFound(f"no user named {username!r}") from None

    def find(self, username: str) -> User | None:
        try:
            return self._runner.load(User.create_id(username.strip()), User)
        except NotFound:
            return None
