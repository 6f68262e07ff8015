"""The GraphQL schema the dashboard reads (mounted at /graphql): drill-down, enterprise, risks, hazards.

Reads only projections. Every report carries `asOfPosition`: the notification-log position its
data reflects (the read models may trail the log by the projection worker's poll interval).

The drill-down's totals, industry split, children and first page of enterprises come from ONE
analytics call: the resolver looks ahead at the `enterprises(first, after, filter)` selection and
asks for that page together with the totals. Another page (an alias with other arguments) costs
one more call.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import date
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info
from strawberry.types.nodes import InlineFragment, SelectedField

from api.graphql.context import GraphQLContext
from api.graphql.types import (
    DrilldownEnterprise,
    DrilldownEnterpriseConnection,
    DrilldownEnterpriseEdge,
    Enterprise,
    Hazard,
    HazardConnection,
    HazardEdge,
    IndustryTotals,
    PageInfo,
    Period,
    Region,
    RegionTotals,
    Risk,
    RiskConnection,
    RiskEdge,
    Totals,
    industry_totals,
)
from domain.shared.regions import henan_regions
from projections.live import ReadModelNotReady

DEFAULT_PAGE = 20
MAX_PAGE = 500


def bad_input(message: str, field: str | None = None) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", **({"field": field} if field else {})})


def forbidden(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


async def read(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a sync read-model query in the thread pool, mapping its errors to GraphQL errors."""
    try:
        return await run_in_threadpool(call, *args, **kwargs)
    except ReadModelNotReady as error:
        raise GraphQLError(str(error), extensions={"code": "READ_MODEL_NOT_READY"}) from None
    except ValueError as error:
        raise bad_input(str(error)) from None


def encode_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def decode_cursor(kind: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        found_kind, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        found_kind, key = "", ""
    if found_kind != kind or not key:
        raise bad_input(f"'after' is not a {kind} cursor from this connection", "after")
    return key


def page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise bad_input(f"'first' must be between 1 and {MAX_PAGE}", "first")
    return first


# --- scope checks on explicit arguments -----------------------------------------------------------


def check_region(context: GraphQLContext, region_code: str) -> None:
    if henan_regions().get(region_code) is None:
        raise bad_input(f"unknown region code {region_code!r}", "regionCode")
    if not context.scope.covers_region(region_code):
        raise forbidden(f"region {region_code} is outside your scope")


def check_industry(context: GraphQLContext, industry: str | None) -> None:
    if industry is not None and context.scope.industries and industry not in context.scope.industries:
        raise forbidden(f"industry {industry} is outside your scope")


# --- drill-down -----------------------------------------------------------------------------------


@strawberry.enum(description="which enterprises of a drill-down to list")
class EnterpriseStatusFilter(Enum):
    RISK_IDENTIFIED = "risk_identified"
    RISK_NOT_IDENTIFIED = "risk_not_identified"
    HAZARD_REGISTERED = "hazard_registered"
    HAZARD_NOT_REGISTERED = "hazard_not_registered"


PageKey = tuple[int, str | None, str | None]


@strawberry.type(description="数据分析: one scope and period, its totals, by industry, by child region, and its enterprises")
class Drilldown:
    region_code: strawberry.Private[str]
    industry: str | None
    period: Period
    results: strawberry.Private[dict[PageKey, dict[str, Any]]]

    @property
    def _any(self) -> dict[str, Any]:
        return next(iter(self.results.values()))

    @strawberry.field(description="the notification position the figures reflect")
    def as_of_position(self) -> int:
        return self._any["as_of_position"]

    @strawberry.field
    def region(self) -> Region:
        return Region.of(self._any["region"])

    @strawberry.field
    def totals(self) -> Totals:
        return Totals.of(self._any["totals"])

    @strawberry.field(description="the same figures per industry")
    def by_industry(self) -> list[IndustryTotals]:
        return [industry_totals(item) for item in self._any["by_industry"]]

    @strawberry.field(description="the same figures per child region (cities of the province, counties of a city)")
    def children(self) -> list[RegionTotals]:
        return [RegionTotals(region=Region.of(c["region"]), totals=Totals.of(c["totals"])) for c in self._any["children"]]

    @strawberry.field(description="the enterprises in scope with their status in the period, by credit code")
    async def enterprises(
        self, info: Info[GraphQLContext, None], first: int = DEFAULT_PAGE, after: str | None = None,
        filter: EnterpriseStatusFilter | None = None,  # noqa: A002 - the name the dashboard uses
    ) -> DrilldownEnterpriseConnection:
        key = (page_size(first), decode_cursor("enterprise", after), filter.value if filter else None)
        if key not in self.results:
            self.results[key] = await _drilldown(info.context, self.region_code, self.industry, self.period, key)
        page = self.results[key]["enterprises"]
        edges = [DrilldownEnterpriseEdge(cursor=encode_cursor("enterprise", item["credit_code"]),
                                         node=DrilldownEnterprise.of(item)) for item in page["items"]]

        async def head() -> str | None:
            first_key = (1, None, key[2])
            if first_key not in self.results:
                self.results[first_key] = await _drilldown(info.context, self.region_code, self.industry, self.period,
                                                           first_key)
            items = self.results[first_key]["enterprises"]["items"]
            return items[0]["credit_code"] if items else None

        return DrilldownEnterpriseConnection(edges=edges, page_info=page_info("enterprise", page, "credit_code", key[1], head))


async def _drilldown(context: GraphQLContext, region_code: str, industry: str | None, period: Period, key: PageKey) -> dict:
    first, after, status = key
    return await read(context.read.analytics.drilldown, region_code, industry, period.from_, period.to, context.now,
                      first=first, after=after, status=status, scope=context.scope)


def _lookahead_page(info: Info) -> PageKey:
    """The arguments of the first `enterprises` selection under this field (variables resolved)."""
    pending = list(info.selected_fields[0].selections)
    while pending:
        selection = pending.pop(0)
        if isinstance(selection, InlineFragment):
            pending.extend(selection.selections)
        elif isinstance(selection, SelectedField) and selection.name == "enterprises":
            args = selection.arguments  # literals arrive as text, variables as values
            status = args.get("filter")
            try:
                first = int(args.get("first", DEFAULT_PAGE))
            except (TypeError, ValueError):
                return (1, None, None)  # let the field itself report the bad argument
            return (page_size(first), decode_cursor("enterprise", args.get("after")),
                    status.lower() if isinstance(status, str) else None)
    return (1, None, None)


# --- connections over the registers ----------------------------------------------------------------


@strawberry.input
class RiskFilter:
    level: int | None = strawberry.field(default=None, description="1 低风险 .. 4 重大风险")
    status: str | None = strawberry.field(default=None, description="valid | invalidated")
    region_code: str | None = None
    industry: str | None = None
    credit_code: str | None = None


@strawberry.input
class HazardFilter:
    level: str | None = strawberry.field(default=None, description="general | major")
    status: str | None = strawberry.field(default=None, description="rectifying | awaiting_acceptance | accepted | invalidated")
    overdue: bool | None = None
    region_code: str | None = None
    industry: str | None = None
    credit_code: str | None = None


def _register_filters(context: GraphQLContext, flt: RiskFilter | HazardFilter | None) -> dict[str, Any]:
    if flt is None:
        return {}
    if flt.region_code is not None:
        check_region(context, flt.region_code)
    check_industry(context, flt.industry)
    return {"credit_code": flt.credit_code, "region_code": flt.region_code, "industry": flt.industry,
            "level": flt.level, "status": flt.status}


@strawberry.type
class Query:
    @strawberry.field(description="数据分析 drill-down for a region (province, city or county) and a period of business dates")
    async def drilldown(
        self, info: Info[GraphQLContext, None], region_code: str,
        from_: Annotated[date, strawberry.argument(name="from")], to: date, industry: str | None = None,
    ) -> Drilldown:
        context = info.context
        check_region(context, region_code)
        check_industry(context, industry)
        if to < from_:
            raise bad_input("'to' is before 'from'", "to")
        period = Period(from_=from_, to=to)
        key = _lookahead_page(info)
        result = await _drilldown(context, region_code, industry, period, key)
        return Drilldown(region_code=region_code, industry=industry, period=period, results={key: result})

    @strawberry.field(description="one enterprise by its unified social credit code (null if unknown or outside your scope)")
    async def enterprise(self, info: Info[GraphQLContext, None], credit_code: str) -> Enterprise | None:
        context = info.context
        found = await read(context.read.lookups.enterprises_by_credit_codes, [credit_code])
        row = found["rows"].get(credit_code)
        if row is None or not context.scope.covers(row):
            return None
        return Enterprise.of(row, as_of_position=found["as_of_position"])

    @strawberry.field(description="risks in your scope, by id")
    async def risks(
        self, info: Info[GraphQLContext, None], first: int = DEFAULT_PAGE, after: str | None = None,
        filter: RiskFilter | None = None,  # noqa: A002
    ) -> RiskConnection:
        context = info.context
        filters = _register_filters(context, filter)
        key = decode_cursor("risk", after)

        async def fetch(size: int, after_key: str | None) -> dict[str, Any]:
            return await read(context.read.registers.risks, first=size, after=after_key, scope=context.scope, **filters)

        page = await fetch(page_size(first), key)
        edges = [RiskEdge(cursor=encode_cursor("risk", row["risk_id"]), node=Risk.of(row)) for row in page["items"]]
        return RiskConnection(as_of_position=page["as_of_position"], edges=edges,
                              page_info=page_info("risk", page, "risk_id", key, _head(fetch, "risk_id")))

    @strawberry.field(description="hazards in your scope, by id; overdue as of now")
    async def hazards(
        self, info: Info[GraphQLContext, None], first: int = DEFAULT_PAGE, after: str | None = None,
        filter: HazardFilter | None = None,  # noqa: A002
    ) -> HazardConnection:
        context = info.context
        filters = _register_filters(context, filter)
        if filter is not None:
            filters["overdue"] = filter.overdue
        key = decode_cursor("hazard", after)

        async def fetch(size: int, after_key: str | None) -> dict[str, Any]:
            return await read(context.read.registers.hazards, context.now, first=size, after=after_key,
                              scope=context.scope, **filters)

        page = await fetch(page_size(first), key)
        edges = [HazardEdge(cursor=encode_cursor("hazard", row["hazard_id"]), node=Hazard.of(row)) for row in page["items"]]
        return HazardConnection(as_of_position=page["as_of_position"], edges=edges,
                                page_info=page_info("hazard", page, "hazard_id", key, _head(fetch, "hazard_id")))


# --- page info -------------------------------------------------------------------------------------


def page_info(kind: str, page: dict[str, Any], column: str, after: str | None,
              head: Callable[[], Awaitable[str | None]]) -> PageInfo:
    """Relay's PageInfo for a keyset page. `head` reads the key of the connection's first item
    (same filters and scope); it is only called when a client asks for `hasPreviousPage` after
    giving `after`: items exist before `after` iff that first item is not this page's first (or
    this page is empty and the connection is not)."""
    items = page["items"]
    start = encode_cursor(kind, items[0][column]) if items else None
    end = encode_cursor(kind, page["end_cursor"]) if page["end_cursor"] else None

    async def earlier() -> bool:
        if after is None:
            return False
        first_of_all = await head()
        return first_of_all is not None and (not items or first_of_all != items[0][column])

    return PageInfo(has_next_page=page["has_next"], start_cursor=start, end_cursor=end, earlier=earlier)


def _head(fetch: Callable[[int, str | None], Awaitable[dict[str, Any]]], column: str) -> Callable[[], Awaitable[str | None]]:
    async def head() -> str | None:
        items = (await fetch(1, None))["items"]
        return items[0][column] if items else None

    return head
