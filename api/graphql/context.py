"""The per-request GraphQL context: who asks (authenticated like every REST call), what they may
see, the clock's "now" (overdue is relative to it), the read-model queries and the DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from strawberry.fastapi import BaseContext

from adapters.persistence.availability import is_database_unavailable
from api.bootstrap import Services
from api.deps import Principal, authenticate, services_of
from api.graphql.loaders import Loaders
from api.graphql.scope import read_scope
from projections.analytics.queries import Analytics
from projections.live import LiveTables
from projections.register.lookups import Lookups
from projections.register.queries import Registers
from projections.scope import ReadScope
from projections.supervision.closed_loop_queries import ClosedLoopReads
from projections.supervision.queries import ReminderReads
from projections.supervision.time_limits import TimeLimitReads


@dataclass
class ReadModels:
    """The query objects over one engine (built once per app: they hold no request state)."""

    registers: Registers
    analytics: Analytics
    lookups: Lookups
    reminders: ReminderReads
    time_limits: TimeLimitReads
    closed_loop: ClosedLoopReads

    @classmethod
    def on(cls, services: Services) -> ReadModels:
        live = LiveTables(services.engine)
        return cls(registers=Registers(services.engine, live), analytics=Analytics(services.engine, live),
                   lookups=Lookups(services.engine, live), reminders=ReminderReads(live),
                   time_limits=TimeLimitReads(live), closed_loop=ClosedLoopReads(live))


class GraphQLContext(BaseContext):
    def __init__(
        self, services: Services, principal: Principal | None, scope: ReadScope, read: ReadModels, now: datetime,
        unavailable: BaseException | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self.principal = principal
        self.scope = scope
        self.read = read
        self.now = now
        self.loaders = Loaders(read.lookups, scope, now)
        # The database could not serve this request (asking who the caller is, or a resolver's
        # read): the router answers 503 (router.py).
        self.unavailable = unavailable


async def context_getter(request: Request) -> GraphQLContext:
    """401/403 as problem+json before any GraphQL runs: an anonymous caller learns nothing. A
    database outage while checking the caller (their account's standing) is answered 503."""
    services = services_of(request)
    read = getattr(request.app.state, "read_models", None)
    if read is None:
        read = request.app.state.read_models = ReadModels.on(services)
    if _ide_page(request, services):
        return GraphQLContext(services, None, ReadScope(nothing=True), read, services.clock())
    try:
        principal = authenticate(request)
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        services.availability.refused(error)  # logged once per outage, not per request
        return GraphQLContext(services, None, ReadScope(nothing=True), read, services.clock(), unavailable=error)
    return GraphQLContext(services, principal, read_scope(principal), read, services.clock())


def _ide_page(request: Request, services: Services) -> bool:
    """The GraphiQL page itself (development only) loads without a token; its queries need one."""
    return (services.settings.graphiql and request.method == "GET" and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", ""))
