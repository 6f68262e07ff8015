"""GraphQL over HTTP: the status codes and bodies around Strawberry's execution.

- 200 with `data`/`errors` for every request that reaches validation, refusals included
  (GraphQL-over-HTTP for `application/json`), so standard clients read the `errors`.
- 400 for a request that is not a GraphQL request: a body that is not JSON (invalid UTF-8, JSON
  nested too deeply for the decoder) or not an object, a query that is not a string, or a
  document that does not parse (GRAPHQL_PARSE_FAILED).
- 503 with Retry-After when the database is unavailable (UNAVAILABLE), during authentication or
  any resolver.

Every non-200 answer is `application/problem+json` (like the 401 and 403 answered before GraphQL
runs) whose `errors` are GraphQL-shaped (`message`, `extensions.code`), so a problem-aware client
and a GraphQL client both find what they look for.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from cross_web import HTTPException  # Strawberry's HTTP layer raises it (a dependency of strawberry-graphql)
from fastapi import Request, Response
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from adapters.persistence.availability import availability_of
from api.errors import RETRY_AFTER, problem
from api.graphql.context import GraphQLContext
from api.graphql.errors import MASKED_MESSAGES, PARSE_FAILED, UNAVAILABLE, one_line

log = logging.getLogger("ledger.api.graphql")

# Codes of the refusals Strawberry makes before any GraphQL runs, by HTTP status.
HTTP_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class LedgerGraphQLRouter(GraphQLRouter):
    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if isinstance(context, GraphQLContext) and context.unavailable is not None:  # while authenticating
            return _unavailable(context.unavailable)
        try:
            return await super().run(request, context, root_value)
        except HTTPException as error:  # Strawberry's own refusals of the HTTP request
            code = HTTP_CODES.get(error.status_code, "BAD_REQUEST")
            log.info("graphql refused operation=- codes=%s errors=1: %s", code, one_line(error.reason))
            return _problem(error.status_code, [{"message": error.reason, "extensions": {"code": code}}])

    def decode_json(self, data: str | bytes) -> object:
        """The body (or a GET's `variables`): a JSON object, or a list (batches, refused below)."""
        try:
            decoded = json.loads(data)
        except RecursionError:
            raise HTTPException(400, "The request body is nested too deeply to be parsed as JSON") from None
        except UnicodeDecodeError:
            raise HTTPException(400, "The request body is not valid UTF-8") from None
        except ValueError:
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, f"Expected a JSON object, got {type(decoded).__name__}")
        return decoded

    async def execute_single(self, request: Request, request_adapter: Any, sub_response: Response,
                             context: Any, root_value: Any, request_data: Any) -> ExecutionResult:
        result = await super().execute_single(request, request_adapter, sub_response, context, root_value, request_data)
        if isinstance(context, GraphQLContext) and context.unavailable is not None:  # noted by process_errors
            sub_response.status_code = 503
            sub_response.headers["Retry-After"] = str(_retry_after(context.unavailable))
        elif any((error.extensions or {}).get("code") == PARSE_FAILED for error in result.errors or ()):
            sub_response.status_code = 400
        return result

    def create_response(self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
                        sub_response: Response) -> Response:
        if sub_response.status_code in (400, 503) and isinstance(response_data, dict):
            errors = list(response_data.get("errors") or [])
            retry_after = sub_response.headers.get("Retry-After")
            return _problem(sub_response.status_code, errors, {"Retry-After": retry_after} if retry_after else None)
        return super().create_response(response_data, sub_response)


_KINDS = {400: ("graphql-bad-request", "Malformed GraphQL request"), 503: ("database-unavailable", "Database unavailable")}


def _retry_after(error: BaseException) -> int:
    return RETRY_AFTER[availability_of(error) or "unreachable"]


def _unavailable(error: BaseException) -> Response:
    return _problem(503, [{"message": MASKED_MESSAGES[UNAVAILABLE], "extensions": {"code": UNAVAILABLE}}],
                    {"Retry-After": str(_retry_after(error))})


def _problem(status: int, errors: list[Any], headers: dict[str, str] | None = None) -> Response:
    kind, title = _KINDS.get(status, ("http", HTTPStatus(status).phrase))
    detail = errors[0]["message"] if errors else title
    return problem(status, kind, title, detail, headers=headers, errors=errors)
