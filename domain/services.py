"""The write side's use cases, wired to one ledger and one committer."""

from __future__ import annotations

from dataclasses import dataclass

from domain.enterprises.commands import EnterpriseCommands
from domain.hazards.commands import HazardCommands
from domain.identity.commands import UserCommands
from domain.inspections.commands import InspectionCommands
from domain.ledger import Ledger
from domain.risks.assessment import AssessmentBands
from domain.risks.commands import RiskCommands
from domain.shared.commands import Committer, CommandRunner, DirectCommitter


@dataclass(frozen=True)
class LedgerServices:
    ledger: Ledger
    runner: CommandRunner
    enterprises: EnterpriseCommands
    risks: RiskCommands
    hazards: HazardCommands
    inspections: InspectionCommands
    users: UserCommands


def ledger_services(ledger: Ledger, committer: Committer | None = None, bands: AssessmentBands | None = None) -> LedgerServices:
    runner = CommandRunner(ledger, committer or DirectCommitter(ledger))
    enterprises = EnterpriseCommands(runner)
    return LedgerServices(
        ledger=ledger,
        runner=runner,
        enterprises=enterprises,
        risks=RiskCommands(runner, enterprises, bands or AssessmentBands()),
        hazards=HazardCommands(runner, enterprises),
        inspections=InspectionCommands(runner, enterprises),
        users=UserCommands(runner, enterprises),
    )
