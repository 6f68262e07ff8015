"""The projections the ledger runs, in one place (the runner's and the queries' default set)."""

from __future__ import annotations

from projections.activity.projection import ActivityProjection
from projections.analytics.projection import DrilldownProjection
from projections.audit_history.projection import AuditIndexProjection
from projections.base import Projection
from projections.ministry.projection import MinistryProjection
from projections.register.projection import RegisterProjection
from projections.supervision.closed_loop import ClosedLoopProjection
from projections.supervision.enforcement_plan import EnforcementPlanProjection
from projections.supervision.reminders import RemindersProjection
from projections.supervision.scan_facts import ScanFactsProjection


def all_projections() -> list[Projection]:
    return [RegisterProjection(), ActivityProjection(), DrilldownProjection(), ScanFactsProjection(), RemindersProjection(),
            EnforcementPlanProjection(), ClosedLoopProjection(), AuditIndexProjection(),
            MinistryProjection()]
