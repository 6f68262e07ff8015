"""What the demo's supervisors do at the end of each simulated day, so the closed-loop report,
the assessment and the time-limit lists have every outcome to show: of the escalations waiting for
an answer, a quarter are answered the day after (in time), a quarter put on next month's
enforcement plan the day after, a quarter answered six days after their escalation (late: only
at the province, the top tier, since below it the scan has told the next tier by then) and a
quarter never
(the inaction the report exists for). Which is which follows from the reminder id, so a re-run
does the same; everything goes through the application services as the REST doors would.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.enforcement.aggregate import next_period
from domain.reminders.days import china_day
from domain.reminders.responses import ResponseSpec
from domain.services import LedgerServices
from domain.shared.commands import CommandContext
from domain.shared.errors import DomainError
from domain.shared.meta import Channel, Meta
from projections.live import LiveTables
from projections.scope import ReadScope
from projections.supervision.queries import ReminderFilter, ReminderReads

ANSWER, PLAN, LATE, NEVER = range(4)


def supervisors_act(services: LedgerServices, live: LiveTables, moment: datetime) -> int:
    """Answer or plan what is due of the waiting escalations as of `moment`; the actions taken."""
    reads = ReminderReads(live)
    today = china_day(moment)
    calendar = services.calendar.calendar(today.year - 1, today.year)
    done, after = 0, None
    while True:
        page = reads.page(ReadScope(), ReminderFilter(status="escalated"), 500, after)
        for row in page.rows:
            if row["answered"] or row["escalated_at"] is None:
                continue
            choice = UUID(str(row["reminder_id"])).int % 4
            waited = (today - china_day(row["escalated_at"])).days
            if choice == NEVER or waited < (6 if choice == LATE else 1):
                continue
            done += _act(services, UUID(str(row["reminder_id"])), choice, moment, calendar)
        if page.next_after is None:
            return done
        after = page.next_after


def _act(services: LedgerServices, reminder_id: UUID, choice: int, moment: datetime, calendar: object) -> int:
    reminder = services.reminders.get(reminder_id)
    told = [r["username"] for r in reminder.escalations[-1]["recipients"]] if reminder.escalations else []
    if not told:
        return 0  # nobody covers the enterprise at that tier: nobody can answer
    who = told[0]
    run = f"demo-{reminder_id}-{reminder.escalation_level}"
    ctx = CommandContext(Meta(f"user:{who}", Channel.REST.value, moment, run, run))
    try:
        if choice == PLAN:
            services.enforcement_plan.add(ctx, reminder.credit_code, next_period(china_day(moment)),
                                     "逾期未整改，列入下月执法检查（演示数据）", reminder_id, who)
        else:
            spec = ResponseSpec(("phone_call", "on_site_inspection") if choice == ANSWER else ("written_order",),
                                "已督促企业限期完成（演示数据）", moment)
            services.reminders.respond(ctx, reminder_id, who, spec, calendar)  # type: ignore[arg-type]
    except DomainError:
        return 0  # resolved or planned meanwhile: nothing to do
    return 1
