"""Admins deactivate and reactivate users. A deactivated user cannot log in, and tokens issued
before the deactivation are refused within LEDGER_USER_CHECK_SECONDS in every process (at once in
this one); both are events on the User aggregate, with the admin as actor and the reason given."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field

from api.commanding import execute, receipt_body
from api.deps import AdminCommandDep
from api.schemas.common import PROBLEMS, Accepted
from api.schemas.platform import Reason
from domain.shared.commands import Receipt
from domain.shared.errors import CommandRefused

router = APIRouter(prefix="/users", tags=["users"], responses=PROBLEMS)


class UserStatusChanged(Accepted):
    """The answer to a deactivation or reactivation (declared here: only this router uses it)."""

    user_id: str
    username: str
    active: bool = Field(description="false after a deactivation, true after a reactivation")


@router.post("/{username}/deactivation", response_model=UserStatusChanged)
def deactivate_user(username: str, body: Reason, call: AdminCommandDep) -> JSONResponse:
    """Deactivate a user (admins only): no more logins, and the user's tokens are refused within
    seconds. 404 for an unknown user, 409 if already deactivated or for your own account."""
    if username == call.principal.username:
        raise CommandRefused("an admin cannot deactivate their own account (ask another admin)")
    try:
        return execute(call, lambda ctx: call.services.write.users.deactivate(ctx, username, body.reason),
                       _status(username, active=False))
    finally:
        call.services.user_gate.forget(username)  # this process refuses the tokens at once


@router.post("/{username}/reactivation", response_model=UserStatusChanged)
def reactivate_user(username: str, body: Reason, call: AdminCommandDep) -> JSONResponse:
    """Reactivate a deactivated user: logins work again; tokens from before the deactivation stay refused."""
    try:
        return execute(call, lambda ctx: call.services.write.users.reactivate(ctx, username, body.reason),
                       _status(username, active=True))
    finally:
        call.services.user_gate.forget(username)


def _status(username: str, active: bool):  # noqa: ANN202
    def respond(receipt: Receipt) -> tuple[int, dict[str, Any]]:
        return 200, receipt_body(receipt, "user_id") | {"username": username, "active": active}

    return respond
