"""GraphQL `closedLoop`: 监管信息闭环情况分析, shaped like `drilldown` (region, totals, children,
byIndustry, enterprises), plus `bySupervisor` and `inaction` (the unanswered escalations, each down
to its reminder with the messages sent and the whole trail). Scoped by the caller exactly like the
drill-down. Every figure is defined in docs/supervision.md, "Closed-loop report"; every answer names
the log position (`asOfPosition`) and the day deadlines were judged on (`judgedOn`) it reflects, and
the sub-lists of one `closedLoop` are read at the same position and day as its totals.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from api.graphql.context import GraphQLContext
from api.graphql.schema import (DEFAULT_PAGE, MAX_PAGE, bad_input, check_industry, check_region, decode_cursor, encode_cursor,
                                page_size, read)
from api.graphql.supervision.types import Reminder, from_row
from api.graphql.types import PageInfo, Period, Region
from projections.supervision.closed_loop_queries import KINDS, ClosedLoopQuery

SUPERVISOR_PAGE = 100


@strawberry.type(description="reminders raised of one kind")
class KindCount:
    kind: str
    reminders: int


@strawberry.type(description="闭环情况: the figures of one scope (docs/supervision.md, 'Closed-loop report')")
class ClosedLoopFigures:
    raised: int = strawberry.field(description="reminders raised in the period")
    raised_by_kind: list[KindCount]
    enterprises_notified: int = strawberry.field(description="enterprises with a reminder raised in the period")
    enterprises_complied_before_escalation: int
    escalations: int = strawberry.field(description="escalation steps (a reminder climbing county, city, province counts each)")
    answered_in_time: int
    answered_late: int
    unanswered: int = strawberry.field(description="不作为: deadline passed or climbed unanswered")
    pending: int = strawberry.field(description="not answered, deadline not yet passed")
    ended_before_deadline: int = strawberry.field(description="not answered; the reminder ended before the deadline")
    enterprises_on_plan: int
    response_days_median: float | None = strawberry.field(description="escalation to first answer, the rule's day kind")
    response_days_p90: float | None

    @classmethod
    def of(cls, f: dict[str, Any]) -> ClosedLoopFigures:
        values = {k: v for k, v in f.items() if k != "raised_by_kind"}
        return cls(raised_by_kind=[KindCount(kind=k, reminders=n) for k, n in f["raised_by_kind"].items()], **values)


@strawberry.type
class ClosedLoopRegion:
    region: Region
    figures: ClosedLoopFigures


@strawberry.type
class ClosedLoopIndustry:
    industry: str
    figures: ClosedLoopFigures


@strawberry.type(description="one enterprise notified in the period, with its own figures")
class ClosedLoopEnterprise:
    credit_code: str
    enterprise_name: str
    region_code: str
    industry: str
    raised: int
    complied_before_escalation: int
    escalations: int
    answered_in_time: int
    answered_late: int
    unanswered: int
    pending: int
    on_plan: bool


@strawberry.type
class ClosedLoopEnterpriseEdge:
    cursor: str
    node: ClosedLoopEnterprise


@strawberry.type
class ClosedLoopEnterpriseConnection:
    edges: list[ClosedLoopEnterpriseEdge]
    page_info: PageInfo


@strawberry.type(description="one supervisor's escalations in the report (received = inTime + late + byOthers + "
                             "unanswered + pending + endedBeforeDeadline)")
class SupervisorFigures:
    username: str
    received: int
    answered_in_time: int
    answered_late: int
    answered_by_others: int
    unanswered: int
    pending: int
    ended_before_deadline: int
    answered_unasked: int = strawberry.field(description="answers to escalations not sent to them (their scope covers it)")
    plan_entries: int = strawberry.field(description="enterprises of the report they put on the enforcement plan")
    response_days_median: float | None


class _Reminders:
    """The reminders of one inaction page, read in one call when the first is asked for."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self._task: asyncio.Future | None = None

    async def get(self, context: GraphQLContext, reminder_id: str) -> Reminder | None:
        if self._task is None:
            self._task = asyncio.ensure_future(read(context.read.closed_loop.reminders_by_ids, self.ids, context.scope))
        row = (await self._task).get(reminder_id)
        return from_row(Reminder, row) if row is not None else None


@strawberry.type(description="不作为: one escalation nobody answered in time")
class InactionItem:
    reminder_id: str
    level: int
    tier: str
    credit_code: str
    enterprise_name: str
    region_code: str
    industry: str
    kind: str
    raised_day: date
    escalated_at: datetime
    escalated_position: int
    respond_by: date
    why: str = strawberry.field(description="climbed | deadline_passed | ended_after_deadline")
    supervisors: list[str] = strawberry.field(description="the supervisors told of this escalation")
    loaded: strawberry.Private[_Reminders]

    @strawberry.field(description="the reminder, with its messages (the SMS that reached the supervisors) and trail")
    async def reminder(self, info: Info[GraphQLContext, None]) -> Reminder | None:
        return await self.loaded.get(info.context, self.reminder_id)


@strawberry.type
class InactionEdge:
    cursor: str
    node: InactionItem


@strawberry.type
class InactionConnection:
    as_of_position: int
    total_count: int = strawberry.field(description="all unanswered escalations of the report (= totals.unanswered)")
    edges: list[InactionEdge]
    page_info: PageInfo


@strawberry.type(description="监管信息闭环情况分析 for a region, a period of raising days, an industry and kind")
class ClosedLoop:
    query: strawberry.Private[ClosedLoopQuery]
    result: strawberry.Private[dict[str, Any]]
    supervisors: strawberry.Private[asyncio.Future | None]
    supervisors_first: strawberry.Private[int]
    inaction_page: strawberry.Private[tuple[int, asyncio.Future] | None]  # (first, the page read ahead)
    period: Period
    industry: str | None
    kind: str | None

    @strawberry.field(description="the notification position the figures reflect")
    def as_of_position(self) -> int:
        return self.result["as_of_position"]

    @strawberry.field(description="the business day deadlines were judged on (give it with asOfPosition to rebuild)")
    def judged_on(self) -> date:
        return date.fromisoformat(self.result["judged_on"])

    @strawberry.field
    def region(self) -> Region:
        return Region.of(self.result["region"])

    @strawberry.field
    def totals(self) -> ClosedLoopFigures:
        return ClosedLoopFigures.of(self.result["totals"])

    @strawberry.field(description="the same figures per industry")
    def by_industry(self) -> list[ClosedLoopIndustry]:
        return [ClosedLoopIndustry(industry=i["industry"], figures=ClosedLoopFigures.of(i["figures"]))
                for i in self.result["by_industry"]]

    @strawberry.field(description="the same figures per child region (cities of the province, counties of a city)")
    def children(self) -> list[ClosedLoopRegion]:
        return [ClosedLoopRegion(region=Region.of(c["region"]), figures=ClosedLoopFigures.of(c["figures"]))
                for c in self.result["children"]]

    @strawberry.field(description="enterprises notified in the period, by credit code")
    async def enterprises(self, info: Info[GraphQLContext, None], first: int = DEFAULT_PAGE,
                          after: str | None = None) -> ClosedLoopEnterpriseConnection:
        key = decode_cursor("enterprise", after)
        size = page_size(first)
        page = self.result["enterprises"]
        if key is not None or size != self.result["_page_size"]:
            context = info.context
            page = (await read(context.read.closed_loop.report, self.query, context.now, context.scope, size,
                               key))["enterprises"]
        edges = [ClosedLoopEnterpriseEdge(cursor=encode_cursor("enterprise", item["credit_code"]),
                                          node=from_row(ClosedLoopEnterprise, item)) for item in page["items"]]
        return ClosedLoopEnterpriseConnection(edges=edges, page_info=_forward(edges, page["has_next"]))

    @strawberry.field(description="per supervisor, most unanswered first")
    async def by_supervisor(self, info: Info[GraphQLContext, None], first: int = SUPERVISOR_PAGE) -> list[SupervisorFigures]:
        context = info.context
        size = page_size(first)
        prefetched = self.supervisors is not None and size <= self.supervisors_first
        if self.supervisors is not None and not prefetched:
            self.supervisors.cancel()  # read ahead for fewer than asked (a fragment hid the size)
        found = await (self.supervisors if prefetched else
                       read(context.read.closed_loop.by_supervisor, self.query, context.now, context.scope, size))
        return [from_row(SupervisorFigures, item) for item in found["items"][:size]]

    @strawberry.field(description="不作为: the unanswered escalations, oldest first")
    async def inaction(self, info: Info[GraphQLContext, None], first: int = DEFAULT_PAGE,
                       after: str | None = None) -> InactionConnection:
        context = info.context
        key = decode_cursor("escalation", after)
        if key is not None and not key.isdigit():
            raise bad_input("'after' is not an escalation cursor from this connection", "after")
        size = page_size(first)
        if self.inaction_page is not None and key is None and self.inaction_page[0] == size:
            page = await self.inaction_page[1]
        else:
            if self.inaction_page is not None:
                self.inaction_page[1].cancel()
            page = await read(context.read.closed_loop.inaction, self.query, context.now, context.scope, size,
                              int(key) if key is not None else None)
        loaded = _Reminders([row["reminder_id"] for row in page["items"]])
        edges = [InactionEdge(cursor=encode_cursor("escalation", str(row["escalated_position"])),
                              node=InactionItem(supervisors=row["usernames"], loaded=loaded,
                                                **{k: v for k, v in row.items() if k != "usernames"}))
                 for row in page["items"]]
        return InactionConnection(as_of_position=page["as_of_position"], total_count=self.result["totals"]["unanswered"],
                                  edges=edges, page_info=_forward(edges, page["has_next"]))


def _forward(edges: list[Any], has_next: bool) -> PageInfo:
    return PageInfo(has_next_page=has_next, start_cursor=edges[0].cursor if edges else None,
                    end_cursor=edges[-1].cursor if edges else None, earlier=None)


def _selects(info: Info, name: str) -> bool:
    return any(getattr(selection, "name", None) == name for selection in info.selected_fields[0].selections)


def _lookahead_first(info: Info, field: str = "enterprises", default: int = DEFAULT_PAGE) -> int:
    """The largest `first` the query asks of a sub-list (1 if it is not asked for)."""
    found = 0
    for selection in info.selected_fields[0].selections:
        if getattr(selection, "name", None) == field:
            try:
                found = max(found, page_size(int(selection.arguments.get("first", default))))
            except (TypeError, ValueError):
                found = max(found, default)
    return found or 1


def _first_page(info: Info, field: str) -> int | None:
    """`first` of a sub-list asked for once, from its start (then it can be read ahead), else None."""
    asked = [s for s in info.selected_fields[0].selections if getattr(s, "name", None) == field]
    if len(asked) != 1 or asked[0].arguments.get("after") is not None:
        return None
    first = asked[0].arguments.get("first", DEFAULT_PAGE)
    return first if isinstance(first, int) and 1 <= first <= MAX_PAGE else None  # else the field refuses it


@strawberry.type
class ClosedLoopQueries:
    @strawberry.field(description="监管信息闭环情况分析 for a region (province, city or county) and a period of business "
                                  "days (Asia/Shanghai) on which the reminders were raised")
    async def closed_loop(
        self, info: Info[GraphQLContext, None], region_code: str,
        from_: Annotated[date, strawberry.argument(name="from")], to: date, industry: str | None = None,
        kind: str | None = None, as_of_position: int | None = None, judged_on: date | None = None,
    ) -> ClosedLoop:
        context = info.context
        check_region(context, region_code)
        check_industry(context, industry)
        if to < from_:
            raise bad_input("'to' is before 'from'", "to")
        if kind is not None and kind not in KINDS:
            raise bad_input(f"kind must be one of {', '.join(KINDS)}", "kind")
        if as_of_position is not None and as_of_position < 0:
            raise bad_input("asOfPosition must not be negative", "asOfPosition")
        reads = context.read.closed_loop
        # Position and day first, so the report and the per-supervisor figures (each a scan of its
        # own table) can be read side by side on two connections and still agree.
        pinned = await read(reads.pin, ClosedLoopQuery(region_code, from_, to, industry, kind, as_of_position, judged_on),
                            context.now)
        size = _lookahead_first(info)
        # Per supervisor only as many as asked for (medians come from the cells' histograms of those).
        supervisors_first = _lookahead_first(info, "bySupervisor", SUPERVISOR_PAGE)
        supervisors = (asyncio.ensure_future(read(reads.by_supervisor, pinned, context.now, context.scope,
                                                  supervisors_first))
                       if _selects(info, "bySupervisor") else None)
        inaction = _first_page(info, "inaction")
        inaction_page = None if inaction is None else (inaction, asyncio.ensure_future(
            read(reads.inaction, pinned, context.now, context.scope, inaction, None)))
        try:
            result = await read(reads.report, pinned, context.now, context.scope, size)
        except BaseException:
            for ahead in (supervisors, inaction_page and inaction_page[1]):
                if ahead is not None:
                    ahead.cancel()
            raise
        return ClosedLoop(query=pinned, result=result | {"_page_size": size}, supervisors=supervisors,
                          supervisors_first=supervisors_first, inaction_page=inaction_page,
                          period=Period(from_=from_, to=to), industry=industry, kind=kind)
