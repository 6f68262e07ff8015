"""Use cases on interface subscriptions. Secrets are generated and hashed by the caller (an
adapter); the domain only ever sees and records the hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.catalog.commands import InterfaceCommands
from domain.enterprises.commands import EnterpriseCommands
from domain.shared.codes import MobileNumber
from domain.shared.commands import CommandContext, CommandRunner, Receipt
from domain.shared.errors import InvalidValue
from domain.shared.validation import Checks, require_text
from domain.subscriptions.aggregate import Subscription, SubscriptionStatus


@dataclass(frozen=True)
class Application:
    interfaces: tuple[str, ...]
    purpose: str
    contact_name: str
    contact_mobile: str


class SubscriptionCommands:
    def __init__(self, runner: CommandRunner, enterprises: EnterpriseCommands, catalog: InterfaceCommands, list_ids) -> None:  # noqa: ANN001
        self._runner = runner
        self._enterprises = enterprises
        self._catalog = catalog
        self._list_ids = list_ids

    def apply(self, ctx: CommandContext, credit_code: str, application: Application) -> Receipt:
        checks = Checks()
        codes = tuple(sorted(set(application.interfaces)))
        if not codes:
            checks.fail("interfaces", "name at least one interface")
        purpose = checks.run(require_text, application.purpose, "purpose", 500, multiline=True)
        name = checks.run(require_text, application.contact_name, "contact.name", 50)
        mobile = checks.run(MobileNumber.parse, application.contact_mobile, "contact.mobile")
        checks.done()
        self._catalog.require_published(list(codes))
        enterprise = self._enterprises.active(credit_code)
        subscription_id = Subscription.create_id(str(enterprise.id), codes)
        existing = self._runner.exists(subscription_id)
        if existing is not None:
            return self._runner.change(
                ctx, subscription_id, Subscription,
                lambda s: s.reapply(purpose, name, str(mobile), ctx.meta.recorded_at, ctx.meta),
            )
        return self._runner.create(
            ctx, subscription_id,
            build=lambda: Subscription(
                enterprise_id=str(enterprise.id), credit_code=enterprise.credit_code, interfaces=codes, purpose=purpose,
                contact_name=name, contact_mobile=str(mobile), at=ctx.meta.recorded_at, meta=ctx.meta,
            ),
            same_as=lambda _: False,
        )

    def approve(self, ctx: CommandContext, subscription_id: UUID, secret_hash: str) -> Receipt:
        return self._runner.change(
            ctx, subscription_id, Subscription, lambda s: s.approve(secret_hash, ctx.meta.recorded_at, ctx.meta)
        )

    def reject(self, ctx: CommandContext, subscription_id: UUID, reason: str) -> Receipt:
        why = require_text(reason, "reason", multiline=True)
        return self._runner.change(ctx, subscription_id, Subscription, lambda s: s.reject(why, ctx.meta.recorded_at, ctx.meta))

    def revoke(self, ctx: CommandContext, subscription_id: UUID, reason: str) -> Receipt:
        why = require_text(reason, "reason", multiline=True)
        return self._runner.change(ctx, subscription_id, Subscription, lambda s: s.revoke(why, ctx.meta.recorded_at, ctx.meta))

    def rotate_key(self, ctx: CommandContext, subscription_id: UUID, secret_hash: str, overlap: timedelta) -> Receipt:
        return self._runner.change(
            ctx, subscription_id, Subscription,
            lambda s: s.rotate_key(secret_hash, overlap, ctx.meta.recorded_at, ctx.meta),
        )

    def get(self, subscription_id: UUID, credit_code: str | None = None) -> Subscription:
        """One subscription; with a credit code only if it is that enterprise's own."""
        return self._runner.load(
            subscription_id, Subscription, (lambda s: s.credit_code == credit_code) if credit_code else None
        )

    def find(self, client_id: str) -> Subscription | None:
        try:
            found = self._runner.exists(UUID(client_id))
        except ValueError:
            return None
        return found if isinstance(found, Subscription) else None

    def all(self, status: str | None = None, credit_code: str | None = None) -> list[Subscription]:
        if status is not None and status not in {s.value for s in SubscriptionStatus}:
            raise InvalidValue("status", f"expected one of {', '.join(s.value for s in SubscriptionStatus)}")
        found = [self._runner.exists(i) for i in self._list_ids(get_topic(Subscription.Applied))]
        return sorted(
            (s for s in found if isinstance(s, Subscription)
             and (status is None or s.status.value == status) and (credit_code is None or s.credit_code == credit_code)),
            key=lambda s: s.applied_at, reverse=True,
        )
