"""The answers the routes give that FastAPI's generated document does not declare, declared once
here for every operation they apply to, so that clients and schema checks (schemathesis, with
`status_code_conformance`) find each answer documented:

- errors are RFC 9457 `application/problem+json` (api/errors.py), not the `application/json`
  FastAPI assumes for every model (a schema check would skip the undeclared media type);
- a create answers 201, or 200 with the same body for an identical repeat that wrote nothing
  (api/commanding.created);
- a JSON body that cannot be decoded is a 400, a body over LEDGER_MAX_BODY_BYTES a 413;
- an enterprise interface answers 429 beyond the subscription's rate limit;
- every route answers 503 while the database is unreachable."""

from __future__ import annotations

from typing import Any

from api.errors import PROBLEM

JSON = "application/json"
PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
API = "/api/"
GRAPHQL = "/graphql"


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}}}


def complete_responses(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for response in responses.values():
                content = response.get("content", {})
                if content.get(JSON, {}).get("schema") == PROBLEM_SCHEMA:
                    content[PROBLEM] = content.pop(JSON)
            extra = _undeclared(path, operation)
            for status, response in extra.items():
                responses.setdefault(status, response)


def _undeclared(path: str, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    responses = operation["responses"]
    extra: dict[str, dict[str, Any]] = {}
    if "201" in responses:
        extra["200"] = dict(responses["201"], description="an identical repeat of the create: nothing written")
    if "requestBody" in operation or path == GRAPHQL:
        extra["400"] = _problem("the body could not be decoded (GraphQL: or the query was refused)")
        extra["413"] = _problem("the body is larger than the configured limit")
    if "x-interface-code" in operation:
        extra["429"] = _problem("the subscription's rate limit; retry after Retry-After seconds")
    if path.startswith(API) or path == GRAPHQL:
        extra["503"] = _problem("the database is unreachable; retry after Retry-After seconds")
    if path == GRAPHQL:
        extra |= {"401": _problem("missing, invalid or expired token"), "403": _problem("role does not allow this")}
    return extra
