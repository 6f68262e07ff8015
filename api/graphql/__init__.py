"""The dashboard's GraphQL endpoint (Strawberry), reading only the projections."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

from api.graphql.context import context_getter
from api.graphql.errors import LedgerSchema, MaskUnexpected, ValidationCodes
from api.graphql.limits import ParserLimits, complexity_limit, list_bounds
from api.graphql.router import LedgerGraphQLRouter
from api.graphql.schema import Query
from api.graphql.oversight import AssessmentQuery, OversightQuery
from api.graphql.supervision import ClosedLoopQueries, SupervisionQuery
from api.settings import Settings


def build_schema(settings: Settings) -> strawberry.Schema:
    schema = LedgerSchema(
        # one root, a module per feature
        query=merge_types("Query", (Query, SupervisionQuery, ClosedLoopQueries, OversightQuery, AssessmentQuery)),
        extensions=[
            ParserLimits,
            lambda: QueryDepthLimiter(max_depth=settings.graphql_max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=15),
            complexity_limit(settings.graphql_max_complexity),
            ValidationCodes,
            # Unexpected failures (a bug) say "Unexpected error.", an outage says "retry later",
            # and both are logged; the errors raised on purpose (bad input, forbidden, not ready)
            # reach the client as they are.
            MaskUnexpected,
        ],
    )
    list_bounds(schema._schema)  # noqa: SLF001 - fail at startup if a list field has no cost bound
    return schema


def graphql_router(settings: Settings) -> LedgerGraphQLRouter:
    """POST /graphql (and GET for queries); GraphiQL only when LEDGER_GRAPHIQL is set (development)."""
    return LedgerGraphQLRouter(
        build_schema(settings), context_getter=context_getter, graphql_ide="graphiql" if settings.graphiql else None,
    )
