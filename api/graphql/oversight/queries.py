"""Query fields of the oversight feature (时限监察 and 绩效考核), scoped by the caller like every read."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import GraphQLContext
from api.graphql.oversight.types import (ESCALATION_CURSOR, RECTIFICATION_CURSOR, OverdueEscalationConnection,
                                         OverdueEscalationEdge, OverdueRectificationConnection,
                                         OverdueRectificationEdge, escalation, rectification)
from api.graphql.schema import DEFAULT_PAGE, check_industry, check_region, decode_cursor, encode_cursor, page_size, read
from api.graphql.types import PageInfo
from projections.supervision.time_limits import TimeLimitPage, Where


def _page_info(kind: str, page: TimeLimitPage, edges: list[Any]) -> PageInfo:
    return PageInfo(has_next_page=page.has_next, start_cursor=edges[0].cursor if edges else None,
                    end_cursor=encode_cursor(kind, page.end_cursor) if page.end_cursor else None, earlier=None)


@strawberry.type(description="时限监察: what is past its deadline now, in your scope")
class TimeLimits:
    region_code: str | None
    industry: str | None
    where: strawberry.Private[Where]

    @strawberry.field(description="open hazards past their rectification deadline, most overdue first")
    async def overdue_rectifications(self, info: Info[GraphQLContext, None], first: int = DEFAULT_PAGE,
                                     after: str | None = None) -> OverdueRectificationConnection:
        context = info.context
        page = await read(context.read.time_limits.overdue_rectifications, self.where, context.now, page_size(first),
                          decode_cursor(RECTIFICATION_CURSOR, after))
        edges = [OverdueRectificationEdge(cursor=encode_cursor(RECTIFICATION_CURSOR, f"{r['rectification_deadline'].isoformat()}|{r['hazard_id']}"),
                                          node=rectification(r)) for r in page.rows]
        return OverdueRectificationConnection(as_of_position=page.as_of_position, total_count=page.total, edges=edges,
                                              page_info=_page_info(RECTIFICATION_CURSOR, page, edges))

    @strawberry.field(description="escalations past their response deadline with no answer, most overdue first")
    async def overdue_escalations(self, info: Info[GraphQLContext, None], first: int = DEFAULT_PAGE,
                                  after: str | None = None) -> OverdueEscalationConnection:
        context = info.context
        page = await read(context.read.time_limits.overdue_escalations, self.where, context.now, page_size(first),
                          decode_cursor(ESCALATION_CURSOR, after))
        edges = [OverdueEscalationEdge(cursor=encode_cursor(ESCALATION_CURSOR, f"{r['respond_by'].isoformat()}|{r['escalation_key']}"),
                                       node=escalation(r)) for r in page.rows]
        return OverdueEscalationConnection(as_of_position=page.as_of_position, total_count=page.total, edges=edges,
                                           page_info=_page_info(ESCALATION_CURSOR, page, edges))


@strawberry.type
class OversightQuery:
    @strawberry.field(description="时限监察: hazards past their rectification deadline and escalations past their "
                                  "response deadline, in your scope (a region and an industry narrow it)")
    async def time_limits(self, info: Info[GraphQLContext, None], region_code: str | None = None,
                          industry: str | None = None) -> TimeLimits:
        context = info.context
        if region_code is not None:
            check_region(context, region_code)
        check_industry(context, industry)
        return TimeLimits(region_code=region_code, industry=industry, where=Where(context.scope, region_code, industry))
