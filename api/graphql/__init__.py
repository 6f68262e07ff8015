"""The dashboard's GraphQL endpoint (Strawberry), reading only the projections."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, QueryDepthLimiter
from strawberry.fastapi import GraphQLRouter

from api.graphql.context import context_getter
from api.graphql.limits import complexity_limit
from api.graphql.schema import Query
from api.settings import Settings


def build_schema(settings: Settings) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        extensions=[
            lambda: QueryDepthLimiter(max_depth=settings.graphql_max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=15),
            complexity_limit(settings.graphql_max_complexity),
            # Unexpected failures (a database error, a bug) say "Unexpected error." and are logged;
            # only the errors raised on purpose (bad input, forbidden, not ready) reach the client.
            lambda: MaskErrors(should_mask_error=_unexpected),
        ],
    )


def _unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def graphql_router(settings: Settings) -> GraphQLRouter:
    """POST /graphql (and GET for queries); GraphiQL only when LEDGER_GRAPHIQL is set (development)."""
    return GraphQLRouter(
        build_schema(settings), context_getter=context_getter, graphql_ide="graphiql" if settings.graphiql else None,
    )
