"""Who may read what through GraphQL, from the caller's role (the REST side checks per route).

- admin, auditor (and analysts, who log in as auditors): everything;
- supervisor: the enterprises of their region (a code prefix), and of their industries and
  supervision level when the user is scoped to them;
- enterprise user: only their own enterprise; no drill-down (it reports on other enterprises);
- a client-credentials token (an enterprise *system*): no GraphQL; it calls its subscribed
  interfaces only.

Explicit arguments outside the scope (a supervisor asking for another city, or another industry)
are refused with FORBIDDEN rather than answered with zeros, which would read as "nobody reported".
"""

from __future__ import annotations

from api.deps import Principal
from api.errors import Forbidden
from domain.identity.aggregate import Role
from projections.scope import ReadScope


def read_scope(principal: Principal) -> ReadScope:
    if principal.subscription_id is not None:
        raise Forbidden("a client-credentials token calls its subscribed interfaces only; log in as a user for GraphQL")
    if principal.role in (Role.ADMIN, Role.AUDITOR):
        return ReadScope()
    if principal.role is Role.SUPERVISOR:
        scope = principal.scope
        if not scope.region_prefix:
            return ReadScope(nothing=True)  # a supervisor always has a region; refuse to guess
        return ReadScope(region_prefix=scope.region_prefix, industries=tuple(scope.industries),
                         supervision_level=scope.supervision_level)
    if principal.role is Role.ENTERPRISE and principal.credit_code:
        return ReadScope(credit_code=principal.credit_code)
    return ReadScope(nothing=True)
