"""Every GraphQL error leaves with an `extensions.code`, and every refused request is one log line.

Errors raised on purpose (BAD_USER_INPUT, FORBIDDEN, READ_MODEL_NOT_READY, QUERY_TOO_COMPLEX) carry
their code from where they are raised. The others get one here:

| code | what |
|---|---|
| GRAPHQL_PARSE_FAILED | the document is not GraphQL (syntax, nested too deeply, over the parser's limits) |
| QUERY_TOO_DEEP, TOO_MANY_ALIASES | Strawberry's depth and alias validation rules |
| GRAPHQL_VALIDATION_FAILED | any other validation error (unknown field, wrong argument type...) |
| BAD_USER_INPUT | a variable's value does not fit its type |
| UNAVAILABLE | the database cannot be reached or is busy (the answer is HTTP 503) |
| INTERNAL_SERVER_ERROR | a bug: the client sees "Unexpected error.", the log has the traceback |

Strawberry logs every error with its traceback at ERROR (`strawberry.execution`); 14 refusals made
298 lines. `LedgerSchema.process_errors` replaces that: one INFO line per refused request
(operation name, codes, first message, truncated), a traceback only for a bug.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types import ExecutionContext

from adapters.persistence.availability import is_database_unavailable
from api.graphql.context import GraphQLContext

log = logging.getLogger("ledger.api.graphql")

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
UNAVAILABLE = "UNAVAILABLE"
INTERNAL = "INTERNAL_SERVER_ERROR"

MASKED_MESSAGES = {
    INTERNAL: "Unexpected error.",
    UNAVAILABLE: "The ledger's database is unavailable; retry later.",
}
# Strawberry's QueryDepthLimiter and MaxAliasesLimiter report plain errors; their messages are the
# only thing that tells them apart (tests pin these, so an upgrade that changes them is noticed).
_VALIDATION_CODES = (
    (re.compile(r"exceeds maximum operation depth"), "QUERY_TOO_DEEP"),
    (re.compile(r"aliases found\. Allowed"), "TOO_MANY_ALIASES"),
)
_LOGGED_MESSAGE = 200


def code_of(error: GraphQLError) -> str:
    """The error's code: the one it carries, or one inferred from how it was raised."""
    given = (error.extensions or {}).get("code")
    if isinstance(given, str):
        return given
    original = error.original_error
    if isinstance(error, GraphQLSyntaxError) or isinstance(original, GraphQLSyntaxError):
        return PARSE_FAILED
    if original is not None and not isinstance(original, GraphQLError):
        return UNAVAILABLE if is_database_unavailable(original) else INTERNAL
    if error.path is None:  # raised before any resolver: a variable's value was coerced
        return "BAD_USER_INPUT"
    return INTERNAL


def validation_code(error: GraphQLError) -> str:
    for pattern, code in _VALIDATION_CODES:
        if pattern.search(error.message):
            return code
    return VALIDATION_FAILED


def _tag(error: GraphQLError, code: str) -> None:
    """Set the code in place: Strawberry keeps references to these very objects."""
    if (error.extensions or {}).get("code") != code:
        error.extensions = {**(error.extensions or {}), "code": code}


class ValidationCodes(SchemaExtension):
    """Codes for validation errors, set when validation ends (the only point where an error is
    known to come from validation rather than from execution), before they are logged."""

    def on_validate(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            if not (error.extensions or {}).get("code"):
                _tag(error, validation_code(error))


class MaskUnexpected(MaskErrors):
    """Replace the message of a bug or an outage (internals never reach the client), keeping the
    code, so a client can tell "retry later" from "report this"."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: code_of(error) in MASKED_MESSAGES)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        code = code_of(error)
        return GraphQLError(MASKED_MESSAGES[code], nodes=error.nodes, source=error.source, positions=error.positions,
                            path=error.path, original_error=None, extensions={"code": code})


class LedgerSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Called once per phase with the raw errors (before masking): give each its code, then log
        the request in one line; a bug also gets its traceback. An outage is not logged per
        request: it is noted on the context (the router answers 503) and counted by the
        availability monitor, which logs the outage's start and end once (api/errors.py)."""
        codes = []
        for error in errors:
            code = code_of(error)
            _tag(error, code)
            codes.append(code)
            if code == INTERNAL:
                log.error("graphql unexpected error at %s: %s", error.path, error.message, exc_info=error.original_error)
        context = getattr(execution_context, "context", None)
        outage = next((e.original_error for e, code in zip(errors, codes) if code == UNAVAILABLE), None)
        if outage is not None and isinstance(context, GraphQLContext):
            if context.unavailable is None:
                context.unavailable = outage
                context.services.availability.refused(outage)
            return
        if errors:
            log.info("graphql refused operation=%s codes=%s errors=%d: %s", _operation_name(execution_context),
                     ",".join(dict.fromkeys(codes)), len(errors), one_line(errors[0].message))


def one_line(text: str, limit: int = _LOGGED_MESSAGE) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _operation_name(execution_context: ExecutionContext | None) -> str:
    try:
        name = execution_context.operation_name if execution_context is not None else None
    except Exception:  # noqa: BLE001 - a malformed document has no name to report
        name = None
    return one_line(name, 64) if name else "-"
