"""Log in: username + password -> a bearer token carrying role and scope."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from adapters.crypto.passwords import verify_password
from api.deps import ServicesDep
from api.errors import Unauthorized
from api.schemas.common import PROBLEMS
from api.schemas.sessions import Login, SessionToken

router = APIRouter(prefix="/sessions", tags=["sessions"])


@router.post("", response_model=SessionToken, responses={401: PROBLEMS[401], 422: PROBLEMS[422]})
async def log_in(body: Login, services: ServicesDep) -> SessionToken:
    """Exchange a username and password for a bearer token (JWT)."""
    user = await run_in_threadpool(services.write.users.find, body.username)
    valid = await run_in_threadpool(verify_password, user.password_hash if user else None, body.password)
    if user is None or not valid:
        raise Unauthorized("wrong username or password")
    if not user.is_active:  # said only to whoever knows the password
        raise Unauthorized(f"user {user.username} is deactivated; ask an administrator")
    claims = {
        "role": user.role.value,
        "ent": user.credit_code,
        "region": user.scope.region_prefix,
        "industries": list(user.scope.industries),
        "level": user.scope.supervision_level,
    }
    token = services.tokens.issue(user.username, claims, services.clock())
    return SessionToken(access_token=token, expires_in=int(services.tokens.lifetime.total_seconds()))
