"""The write side's use cases, wired to one ledger and one committer."""

from __future__ import annotations

from dataclasses import dataclass

from collections.abc import Callable
from uuid import UUID

from domain.catalog.commands import InterfaceCommands
from domain.enforcement.commands import EnforcementPlanCommands
from domain.enterprises.commands import EnterpriseCommands
from domain.hazards.commands import HazardCommands
from domain.identity.commands import UserCommands
from domain.inspections.commands import InspectionCommands
from domain.ledger import Ledger
from domain.risks.assessment import AssessmentBands
from domain.reminders.commands import ReminderCommands
from domain.risks.commands import RiskCommands
from domain.rules.commands import CalendarCommands, RuleCommands
from domain.shared.commands import Committer, CommandRunner, DirectCommitter
from domain.subscriptions.commands import SubscriptionCommands


@dataclass(frozen=True)
class LedgerServices:
    ledger: Ledger
    runner: CommandRunner
    enterprises: EnterpriseCommands
    risks: RiskCommands
    hazards: HazardCommands
    inspections: InspectionCommands
    users: UserCommands
    catalog: InterfaceCommands
    subscriptions: SubscriptionCommands
    rules: RuleCommands
    calendar: CalendarCommands
    reminders: ReminderCommands
    enforcement_plan: EnforcementPlanCommands


def ids_with_topic(ledger: Ledger) -> Callable[[str], list[UUID]]:
    """Ids of aggregates that have an event of a topic, in log order (small registers only:
    the catalog and subscriptions; read models take over in the projections)."""

    def list_ids(topic: str) -> list[UUID]:
        ids: list[UUID] = []
        start = 1
        while True:
            batch = ledger.recorder.select_notifications(start=start, limit=1000, topics=[topic])
            ids.extend(n.originator_id for n in batch)
            if len(batch) < 1000:
                return list(dict.fromkeys(ids))
            start = batch[-1].id + 1

    return list_ids


def ledger_services(ledger: Ledger, committer: Committer | None = None, bands: AssessmentBands | None = None) -> LedgerServices:
    runner = CommandRunner(ledger, committer or DirectCommitter(ledger))
    enterprises = EnterpriseCommands(runner)
    list_ids = ids_with_topic(ledger)
    catalog = InterfaceCommands(runner, list_ids)
    calendar = CalendarCommands(runner)
    enforcement_plan = EnforcementPlanCommands(runner, enterprises, calendar)
    return LedgerServices(
        ledger=ledger,
        runner=runner,
        enterprises=enterprises,
        risks=RiskCommands(runner, enterprises, bands or AssessmentBands()),
        hazards=HazardCommands(runner, enterprises),
        inspections=InspectionCommands(runner, enterprises),
        users=UserCommands(runner, enterprises, list_ids),
        catalog=catalog,
        subscriptions=SubscriptionCommands(runner, enterprises, catalog, list_ids),
        rules=RuleCommands(runner),
        calendar=calendar,
        reminders=ReminderCommands(runner, planner=enforcement_plan),
        enforcement_plan=enforcement_plan,
    )
