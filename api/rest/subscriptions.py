"""Subscriptions with approval: enterprises apply in the portal, admins approve (issuing a client
secret shown exactly once), reject with a reason, revoke, or rotate the key."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from adapters.crypto.client_secrets import hash_client_secret, new_client_secret
from api.commanding import changed, created, execute
from api.deps import AdminCommandDep, PortalCommandDep, PrincipalDep, ServicesDep
from api.errors import Forbidden
from api.schemas.common import PROBLEMS
from api.schemas.platform import Contact, Decision, Reason, SubscriptionApplication, SubscriptionPage, SubscriptionView
from domain.identity.aggregate import Role
from domain.shared.commands import Receipt
from domain.subscriptions.aggregate import Subscription
from domain.subscriptions.commands import Application

router = APIRouter(prefix="/subscriptions", tags=["interface platform"], responses=PROBLEMS)


@router.post("", status_code=201)
def apply_for_subscription(body: SubscriptionApplication, call: PortalCommandDep) -> JSONResponse:
    """Apply to use interfaces (one live subscription per interface set; apply again after a rejection)."""
    application = Application(tuple(body.interfaces), body.purpose, body.contact.name, body.contact.mobile)
    return execute(
        call, lambda ctx: call.services.write.subscriptions.apply(ctx, call.credit_code, application), created("subscription_id")
    )


@router.get("", response_model=SubscriptionPage)
def list_subscriptions(
    principal: PrincipalDep,
    services: ServicesDep,
    status: Annotated[str | None, Query(description="pending / approved / rejected / revoked")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> SubscriptionPage:
    """Admins: every subscription (filter by status); enterprise users: their own, with decisions."""
    if principal.role is Role.ADMIN:
        found = services.write.subscriptions.all(status)
    elif principal.role is Role.ENTERPRISE and principal.credit_code:
        found = services.write.subscriptions.all(status, principal.credit_code)
    else:
        raise Forbidden(f"role {principal.role.value} may not list subscriptions")
    page = found[offset:offset + limit]
    return SubscriptionPage(items=[subscription_view(s) for s in page], total=len(found), offset=offset, limit=limit)


@router.get("/{subscription_id}", response_model=SubscriptionView)
def get_subscription(subscription_id: UUID, principal: PrincipalDep, services: ServicesDep) -> SubscriptionView:
    """One subscription. Right after approval or rotation, the enterprise sees the client secret here once."""
    if principal.role is Role.ADMIN:
        return subscription_view(services.write.subscriptions.get(subscription_id))
    if principal.role is not Role.ENTERPRISE or not principal.credit_code or principal.subscription_id:
        raise Forbidden("only the applying enterprise's users and admins may read a subscription")
    subscription = services.write.subscriptions.get(subscription_id, principal.credit_code)
    secret = services.handover.take(str(subscription.id)) if subscription.is_live else None
    return subscription_view(subscription, secret)


@router.post("/{subscription_id}/approval")
def approve_subscription(subscription_id: UUID, call: AdminCommandDep) -> JSONResponse:
    """Approve: issues the client id and a secret (only its hash is recorded; the secret waits to be shown once)."""
    secret = new_client_secret()
    return execute(
        call,
        lambda ctx: call.services.write.subscriptions.approve(ctx, subscription_id, hash_client_secret(secret)),
        _with_client_id,
        also=_handover(call.services, secret, call),
    )


@router.post("/{subscription_id}/rejection")
def reject_subscription(subscription_id: UUID, body: Reason, call: AdminCommandDep) -> JSONResponse:
    """Reject with a reason the enterprise will see."""
    return execute(
        call, lambda ctx: call.services.write.subscriptions.reject(ctx, subscription_id, body.reason), changed("subscription_id")
    )


@router.post("/{subscription_id}/revocation")
def revoke_subscription(subscription_id: UUID, body: Reason, call: AdminCommandDep) -> JSONResponse:
    """Revoke: tokens of this subscription stop working within seconds."""
    return execute(
        call, lambda ctx: call.services.write.subscriptions.revoke(ctx, subscription_id, body.reason), changed("subscription_id")
    )


@router.post("/{subscription_id}/key-rotation")
def rotate_subscription_key(subscription_id: UUID, call: AdminCommandDep) -> JSONResponse:
    """Issue a new secret; the old one stays valid for the configured overlap."""
    secret = new_client_secret()
    overlap = timedelta(hours=call.services.settings.key_rotation_overlap_hours)
    return execute(
        call,
        lambda ctx: call.services.write.subscriptions.rotate_key(ctx, subscription_id, hash_client_secret(secret), overlap),
        _with_client_id,
        also=_handover(call.services, secret, call),
    )


def _with_client_id(receipt: Receipt) -> tuple[int, dict[str, Any]]:
    return 200, {"subscription_id": str(receipt.aggregate_id), "client_id": str(receipt.aggregate_id),
                 "version": receipt.version, "position": receipt.position,
                 "secret_delivery": "shown once to the enterprise via GET /api/v1/subscriptions/{id}, "
                                    "or `ledger subscriptions secret ID`"}


def _handover(services: Any, secret: str, call: Any):  # noqa: ANN202
    def put(receipt: Receipt, session: Any) -> None:
        services.handover.put_in(session, str(receipt.aggregate_id), secret, call.meta.recorded_at)

    return put


def subscription_view(s: Subscription, secret: str | None = None) -> SubscriptionView:
    return SubscriptionView(
        subscription_id=str(s.id), credit_code=s.credit_code, interfaces=s.interfaces, status=s.status.value,
        purpose=s.purpose, contact=Contact(name=s.contact_name, mobile=s.contact_mobile), applied_at=s.applied_at,
        decisions=[Decision(**d) for d in s.decisions], client_id=s.client_id if s.is_live else None,
        client_secret=secret, key_version=s.key_version, version=s.version,
    )
