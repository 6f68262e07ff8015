"""The command path shared by every use case: versions, visibility, and nothing written on refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from eventsourcing.domain import Aggregate

from domain.ledger import Ledger
from domain.risks.aggregate import Risk
from domain.services import ledger_services
from domain.shared.codes import RiskLevel
from domain.shared.commands import CommandContext, CommandRunner, DirectCommitter, Receipt
from domain.shared.errors import CommandRefused, Conflict, InvalidValue, NotFound, StaleVersion

from tests.unit.domain.helpers import (
    IDENTIFIED_AT,
    ctx,
    enterprise_spec,
    event_names,
    identified_risk,
    measure,
    new_services,
    registered_enterprise,
    risk_spec,
    stored,
    writes_nothing,
)

CHANGED_AT = IDENTIFIED_AT + timedelta(days=1)


def _risk(services=None):  # noqa: ANN001, ANN202
    services = services or new_services()
    credit_code = registered_enterprise(services)
    return services, credit_code, identified_risk(services, credit_code)


# --- optimistic concurrency -----------------------------------------------------------------------


def test_expected_version_mismatch_is_stale_and_writes_nothing() -> None:
    services, credit_code, risk_id = _risk()
    with writes_nothing(services), pytest.raises(StaleVersion) as error:
        services.risks.change_level(ctx(expected_version=7), credit_code, risk_id, "major", "x", CHANGED_AT)
    assert (error.value.expected, error.value.actual) == (7, 1)


def test_matching_expected_version_is_applied() -> None:
    services, credit_code, risk_id = _risk()
    receipt = services.risks.change_level(ctx(expected_version=1), credit_code, risk_id, "major", "x", CHANGED_AT)
    assert (receipt.version, receipt.created) == (2, False)
    assert receipt.position == services.ledger.recorder.max_notification_id()


class RacingCommitter:
    """Lets a rival change the aggregate just before the command's own commit, once, when armed."""

    def __init__(self, ledger: Ledger, rival_change: Callable[[Any], None]) -> None:
        self._ledger = ledger
        self._direct = DirectCommitter(ledger)
        self._rival_change = rival_change
        self.armed = False

    def commit(self, aggregate: Aggregate, context: CommandContext) -> Receipt:
        if self.armed:
            self.armed = False
            rival = self._ledger.repository.get(aggregate.id)
            self._rival_change(rival)
            self._ledger.save(rival)
        return self._direct.commit(aggregate, context)


def _racing_services():  # noqa: ANN202
    ledger = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    committer = RacingCommitter(
        ledger, lambda risk: risk.revise_measures([measure(control_level="team")], "rival", CHANGED_AT, ctx().meta)
    )
    return ledger_services(ledger, committer=committer), committer


def test_command_that_lost_a_race_is_rerun_on_the_latest_version() -> None:
    services, committer = _racing_services()
    _, credit_code, risk_id = _risk(services)
    committer.armed = True
    receipt = services.risks.change_level(ctx(), credit_code, risk_id, "major", "x", CHANGED_AT)
    assert receipt.version == 3
    assert event_names(services, risk_id) == ["Identified", "MeasuresRevised", "Upgraded"]


def test_pinned_command_that_lost_a_race_is_stale() -> None:
    services, committer = _racing_services()
    _, credit_code, risk_id = _risk(services)
    committer.armed = True
    with pytest.raises(StaleVersion) as error:
        services.risks.change_level(ctx(expected_version=1), credit_code, risk_id, "major", "x", CHANGED_AT)
    assert (error.value.expected, error.value.actual) == (1, 2)
    assert event_names(services, risk_id) == ["Identified", "MeasuresRevised"]


# --- visibility -----------------------------------------------------------------------------------


def test_risk_of_another_enterprise_is_not_found() -> None:
    services, _, risk_id = _risk()
    other = registered_enterprise(services)
    with pytest.raises(NotFound):
        services.risks.get(other, risk_id)


def test_change_to_a_risk_of_another_enterprise_is_not_found_and_writes_nothing() -> None:
    services, _, risk_id = _risk()
    other = registered_enterprise(services)
    with writes_nothing(services), pytest.raises(NotFound):
        services.risks.change_level(ctx(), other, risk_id, "major", "x", CHANGED_AT)


def test_loading_an_aggregate_as_the_wrong_type_is_not_found() -> None:
    services, credit_code, _ = _risk()
    enterprise_id = services.enterprises.get(credit_code).id
    with pytest.raises(NotFound):
        services.runner.load(enterprise_id, Risk)


def test_unknown_id_is_not_found() -> None:
    services, credit_code, _ = _risk()
    with pytest.raises(NotFound):
        services.risks.get(credit_code, Risk.create_id("nobody", "R-0"))


# --- rejected commands write nothing --------------------------------------------------------------


def test_invalid_value_writes_nothing() -> None:
    services, credit_code, risk_id = _risk()
    with writes_nothing(services), pytest.raises(InvalidValue):
        services.risks.change_level(ctx(), credit_code, risk_id, "purple", "x", CHANGED_AT)


def test_refused_command_writes_nothing() -> None:
    services, credit_code, risk_id = _risk()
    with writes_nothing(services), pytest.raises(CommandRefused):
        services.risks.change_level(ctx(), credit_code, risk_id, "general", "x", CHANGED_AT)


def test_conflicting_create_writes_nothing() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    services.risks.identify(ctx(), credit_code, risk_spec("R-1"))
    with writes_nothing(services), pytest.raises(Conflict):
        services.risks.identify(ctx(), credit_code, risk_spec("R-1", name="别的风险点"))


def test_stale_command_writes_nothing() -> None:
    services, credit_code, risk_id = _risk()
    with writes_nothing(services), pytest.raises(StaleVersion):
        services.risks.invalidate(ctx(expected_version=2), credit_code, risk_id, "x")


def test_command_on_a_missing_aggregate_writes_nothing() -> None:
    services, credit_code, _ = _risk()
    with writes_nothing(services), pytest.raises(NotFound):
        services.risks.invalidate(ctx(), credit_code, Risk.create_id("nobody", "R-0"), "x")


# --- receipts and the commit hook -----------------------------------------------------------------


def test_on_recorded_is_called_with_the_receipt() -> None:
    services = new_services()
    seen: list[Receipt] = []
    context = CommandContext(ctx().meta, on_recorded=lambda receipt, _tx: seen.append(receipt))
    receipt = services.enterprises.register(context, enterprise_spec())
    assert seen == [Receipt(receipt.aggregate_id, 1, receipt.position)]


def test_every_event_gets_the_next_global_position() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    risk = services.risks.identify(ctx(), credit_code, risk_spec())
    change = services.risks.change_level(ctx(), credit_code, risk.aggregate_id, "major", "x", CHANGED_AT)
    assert (risk.position, change.position) == (2, 3)


def test_replay_after_changes_returns_levels_as_risk_levels() -> None:
    services, credit_code, risk_id = _risk()
    services.risks.change_level(ctx(), credit_code, risk_id, "major", "x", CHANGED_AT)
    services.risks.invalidate(ctx(), credit_code, risk_id, "y")
    risk = stored(services, risk_id)
    assert (risk.version, risk.level, risk.status) == (3, RiskLevel.MAJOR, "invalidated")
    assert isinstance(risk.level, RiskLevel)


def test_runner_with_no_attempts_left_refuses() -> None:
    services = new_services()
    runner = CommandRunner(services.ledger, DirectCommitter(services.ledger), attempts=0)
    with pytest.raises(CommandRefused, match="concurrently"):
        runner.create(ctx(), Risk.create_id("e", "r"), build=lambda: None, same_as=lambda _: True)
