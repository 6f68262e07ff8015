"""Hidden hazards: registration rules and the governance loop 整改中 -> 待验收 -> 已验收."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from domain.hazards.aggregate import Hazard, HazardStatus
from domain.shared.errors import CommandRefused, Conflict, InvalidValue, InvalidValues, NotFound

from tests.unit.domain.helpers import (
    FOUND_AT,
    NOW,
    a_plan,
    ctx,
    enterprise_id,
    event_names,
    hazard_spec,
    identified_risk,
    new_services,
    registered_enterprise,
    registered_hazard,
    stored,
    writes_nothing,
)

COMPLETED_AT = FOUND_AT + timedelta(days=3)
ACCEPTED_AT = COMPLETED_AT + timedelta(days=1)


def _hazard():  # noqa: ANN202
    services = new_services()
    credit_code = registered_enterprise(services)
    return services, credit_code, registered_hazard(services, credit_code)


def _rectify(services, credit_code, hazard_id, completed_at=COMPLETED_AT, cost=1200.0):  # noqa: ANN001, ANN202
    return services.hazards.report_rectification(
        ctx(), credit_code, hazard_id, "更换报警器", completed_at, "王磊", cost
    )


def _accept(services, credit_code, hazard_id, passed=True, accepted_at=ACCEPTED_AT):  # noqa: ANN001, ANN202
    return services.hazards.accept(ctx(), credit_code, hazard_id, passed, "安全科", accepted_at, "验收意见")


def _register_refused(spec) -> InvalidValue | InvalidValues:  # noqa: ANN001
    services = new_services()
    credit_code = registered_enterprise(services)
    with writes_nothing(services), pytest.raises((InvalidValue, InvalidValues)) as error:
        services.hazards.register(ctx(), credit_code, spec)
    return error.value


def _fields(error: InvalidValue | InvalidValues) -> set[str]:
    return {e.field for e in error.errors} if isinstance(error, InvalidValues) else {error.field}


# --- registration ---------------------------------------------------------------------------------


def test_registered_hazard_is_rectifying() -> None:
    services, credit_code, hazard_id = _hazard()
    hazard = services.hazards.get(credit_code, hazard_id)
    assert (hazard.status, hazard.found_at, hazard.rectification) == (HazardStatus.RECTIFYING, FOUND_AT, None)


def test_hazard_id_is_a_uuid5_of_enterprise_and_hazard_code() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    assert registered_hazard(services, credit_code, code="H-1") == Hazard.create_id(enterprise_id(credit_code), "H-1")


def test_same_hazard_code_under_two_enterprises_gives_two_hazards() -> None:
    services = new_services()
    first, second = registered_enterprise(services), registered_enterprise(services)
    assert registered_hazard(services, first, code="H-1") != registered_hazard(services, second, code="H-1")


@pytest.mark.parametrize("deadline", [FOUND_AT, FOUND_AT - timedelta(hours=1)])
def test_deadline_must_be_after_found_at(deadline: datetime) -> None:
    assert _fields(_register_refused(hazard_spec(rectification_deadline=deadline))) == {"rectification_deadline"}


def test_deadline_governance_requires_a_deadline() -> None:
    assert _fields(_register_refused(hazard_spec(rectification_deadline=None))) == {"rectification_deadline"}


def test_immediate_governance_needs_no_deadline() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    hazard_id = registered_hazard(services, credit_code, governance_type="immediate", rectification_deadline=None)
    assert stored(services, hazard_id).rectification_deadline is None


def test_major_hazard_must_be_deadline_governed_with_a_plan() -> None:
    spec = hazard_spec(level="major", governance_type="immediate", rectification_deadline=None)
    assert _fields(_register_refused(spec)) == {"governance_type", "rectification_plan"}


def test_major_hazard_without_a_plan_is_refused() -> None:
    assert _fields(_register_refused(hazard_spec(level="major"))) == {"rectification_plan"}


def test_major_hazard_with_deadline_and_plan_is_registered() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    hazard_id = registered_hazard(services, credit_code, level="重大隐患", rectification_plan=a_plan())
    hazard = stored(services, hazard_id)
    assert (hazard.level, hazard.rectification_plan) == ("major", a_plan().as_dict())


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("level", {"level": "critical"}),
        ("source", {"source": "rumour"}),
        ("governance_type", {"governance_type": "someday"}),
        ("found_at", {"found_at": NOW + timedelta(hours=1)}),
        ("found_at", {"found_at": datetime(2026, 11, 10, 9, 0)}),
        ("rectification_deadline", {"rectification_deadline": datetime(2026, 11, 20, 9, 0)}),
    ],
)
def test_invalid_registration_field_is_named(field: str, overrides: dict) -> None:
    assert _fields(_register_refused(hazard_spec(**overrides))) == {field}


def test_link_to_a_risk_of_the_same_enterprise_is_kept() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    risk_id = identified_risk(services, credit_code)
    hazard_id = registered_hazard(services, credit_code, risk_id=risk_id)
    assert stored(services, hazard_id).risk_id == str(risk_id)


def test_link_to_a_risk_of_another_enterprise_is_refused() -> None:
    services = new_services()
    credit_code, other = registered_enterprise(services), registered_enterprise(services)
    foreign_risk = identified_risk(services, other)
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        services.hazards.register(ctx(), credit_code, hazard_spec(risk_id=foreign_risk))
    assert error.value.field == "risk_id"


@pytest.mark.parametrize("link", ["unknown", "enterprise"])
def test_link_to_something_that_is_not_a_risk_is_refused(link: str) -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    target = uuid4() if link == "unknown" else services.enterprises.get(credit_code).id
    with pytest.raises(InvalidValue) as error:
        services.hazards.register(ctx(), credit_code, hazard_spec(risk_id=target))
    assert error.value.field == "risk_id"


def test_identical_repeated_registration_writes_nothing() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    spec = hazard_spec()
    first = services.hazards.register(ctx(), credit_code, spec)
    with writes_nothing(services):
        again = services.hazards.register(ctx(), credit_code, spec)
    assert (again.aggregate_id, again.position, again.created) == (first.aggregate_id, None, False)


def test_same_hazard_code_with_different_content_is_a_conflict() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    services.hazards.register(ctx(), credit_code, hazard_spec("H-1"))
    with writes_nothing(services), pytest.raises(Conflict):
        services.hazards.register(ctx(), credit_code, hazard_spec("H-1", description="另一处"))


# --- governance loop ------------------------------------------------------------------------------


def test_acceptance_before_rectification_is_refused() -> None:
    services, credit_code, hazard_id = _hazard()
    with writes_nothing(services), pytest.raises(CommandRefused):
        _accept(services, credit_code, hazard_id)


def test_reported_rectification_awaits_acceptance() -> None:
    services, credit_code, hazard_id = _hazard()
    _rectify(services, credit_code, hazard_id)
    hazard = stored(services, hazard_id)
    assert hazard.status is HazardStatus.AWAITING_ACCEPTANCE
    assert hazard.rectification == {
        "measures": "更换报警器", "responsible_person": "王磊", "cost": 1200.0, "completed_at": COMPLETED_AT,
    }


def test_second_rectification_while_awaiting_acceptance_is_refused() -> None:
    services, credit_code, hazard_id = _hazard()
    _rectify(services, credit_code, hazard_id)
    with writes_nothing(services), pytest.raises(CommandRefused):
        _rectify(services, credit_code, hazard_id)


def test_failed_acceptance_returns_to_rectifying_and_allows_a_new_rectification() -> None:
    services, credit_code, hazard_id = _hazard()
    _rectify(services, credit_code, hazard_id)
    _accept(services, credit_code, hazard_id, passed=False)
    hazard = stored(services, hazard_id)
    assert (hazard.status, hazard.rectification, hazard.closed_at) == (HazardStatus.RECTIFYING, None, None)
    _rectify(services, credit_code, hazard_id, completed_at=ACCEPTED_AT + timedelta(days=1))
    assert stored(services, hazard_id).status is HazardStatus.AWAITING_ACCEPTANCE


def test_passed_acceptance_closes_the_hazard() -> None:
    services, credit_code, hazard_id = _hazard()
    _rectify(services, credit_code, hazard_id)
    _accept(services, credit_code, hazard_id)
    hazard = stored(services, hazard_id)
    assert (hazard.status, hazard.closed_at) == (HazardStatus.ACCEPTED, ACCEPTED_AT)
    assert event_names(services, hazard_id) == ["Registered", "RectificationReported", "AcceptancePassed"]


@pytest.mark.parametrize("change", ["rectify", "accept", "invalidate"])
def test_accepted_hazard_refuses_any_change(change: str) -> None:
    services, credit_code, hazard_id = _hazard()
    _rectify(services, credit_code, hazard_id)
    _accept(services, credit_code, hazard_id)
    with writes_nothing(services), pytest.raises(CommandRefused):
        _apply(services, credit_code, hazard_id, change)


@pytest.mark.parametrize("change", ["rectify", "accept", "invalidate"])
def test_invalidated_hazard_refuses_any_change(change: str) -> None:
    services, credit_code, hazard_id = _hazard()
    services.hazards.invalidate(ctx(), credit_code, hazard_id, "重复登记")
    assert stored(services, hazard_id).status is HazardStatus.INVALIDATED
    with writes_nothing(services), pytest.raises(CommandRefused, match="invalidated"):
        _apply(services, credit_code, hazard_id, change)


def _apply(services, credit_code, hazard_id, change: str) -> None:  # noqa: ANN001
    if change == "rectify":
        _rectify(services, credit_code, hazard_id)
    elif change == "accept":
        _accept(services, credit_code, hazard_id)
    else:
        services.hazards.invalidate(ctx(), credit_code, hazard_id, "再次")


def test_rectification_completed_before_the_hazard_was_found_is_refused() -> None:
    services, credit_code, hazard_id = _hazard()
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        _rectify(services, credit_code, hazard_id, completed_at=FOUND_AT - timedelta(minutes=1))
    assert error.value.field == "completed_at"


def test_acceptance_before_rectification_was_completed_is_refused() -> None:
    services, credit_code, hazard_id = _hazard()
    _rectify(services, credit_code, hazard_id)
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        _accept(services, credit_code, hazard_id, accepted_at=COMPLETED_AT - timedelta(minutes=1))
    assert error.value.field == "accepted_at"


def test_negative_rectification_cost_is_refused() -> None:
    services, credit_code, hazard_id = _hazard()
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        _rectify(services, credit_code, hazard_id, cost=-1.0)
    assert error.value.field == "cost"


def test_rectification_without_cost_is_accepted() -> None:
    services, credit_code, hazard_id = _hazard()
    _rectify(services, credit_code, hazard_id, cost=None)
    assert stored(services, hazard_id).rectification["cost"] is None


def test_hazard_of_another_enterprise_is_not_found() -> None:
    services, _, hazard_id = _hazard()
    other = registered_enterprise(services)
    with pytest.raises(NotFound):
        _rectify(services, other, hazard_id)


def test_replayed_hazard_has_the_whole_acceptance_history() -> None:
    services, credit_code, hazard_id = _hazard()
    _rectify(services, credit_code, hazard_id)
    _accept(services, credit_code, hazard_id, passed=False)
    second_completion = ACCEPTED_AT + timedelta(days=1)
    _rectify(services, credit_code, hazard_id, completed_at=second_completion)
    _accept(services, credit_code, hazard_id, accepted_at=second_completion + timedelta(days=1))
    hazard = stored(services, hazard_id)
    assert (hazard.version, hazard.status) == (5, HazardStatus.ACCEPTED)
    assert [a["passed"] for a in hazard.acceptances] == [False, True]
    assert hazard.rectification["completed_at"] == second_completion


def test_a_hazard_cannot_be_linked_to_an_invalidated_risk() -> None:
    services = new_services()
    code = registered_enterprise(services)
    risk_id = identified_risk(services, code)
    services.risks.invalidate(ctx(), code, risk_id, "duplicate entry")
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        services.hazards.register(ctx(), code, hazard_spec(risk_id=risk_id))
    assert error.value.field == "risk_id"
