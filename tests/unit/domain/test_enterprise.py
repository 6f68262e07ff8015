"""The enterprise register: validation at the door, idempotent registration, changes, deregistration."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid5, NAMESPACE_URL

import pytest

from domain.enterprises.aggregate import Enterprise
from domain.shared.errors import CommandRefused, Conflict, InvalidValue, InvalidValues, NotFound

from tests.unit.domain.helpers import (
    NOW,
    REGISTERED_AT,
    a_credit_code,
    ctx,
    deregistered_enterprise,
    enterprise_spec,
    event_names,
    events,
    inspection_spec,
    hazard_spec,
    new_services,
    position,
    registered_enterprise,
    risk_spec,
    stored,
    writes_nothing,
)


def _mistyped(credit_code: str) -> str:
    """The same code with a wrong check character."""
    last = "1" if credit_code[-1] != "1" else "2"
    return credit_code[:-1] + last


# --- registration validation ----------------------------------------------------------------------


def test_registration_creates_the_enterprise_with_its_details() -> None:
    services = new_services()
    spec = enterprise_spec()
    receipt = services.enterprises.register(ctx(), spec)
    assert receipt.created and receipt.version == 1 and receipt.position == position(services)
    enterprise = services.enterprises.get(spec.credit_code)
    assert (enterprise.name, enterprise.region_code, enterprise.is_active) == (spec.name, "410185", True)
    assert enterprise.registered_at == REGISTERED_AT


def test_credit_code_with_wrong_check_digit_is_refused() -> None:
    services = new_services()
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        services.enterprises.register(ctx(), enterprise_spec(_mistyped(a_credit_code())))
    assert error.value.field == "credit_code"


@pytest.mark.parametrize("region_code", ["110101", "410306", "419000", "41018", "999999"])
def test_region_outside_current_henan_codes_is_refused(region_code: str) -> None:
    # Beijing, a retired code, the NBS grouping row, too short, unknown.
    with pytest.raises(InvalidValue) as error:
        new_services().enterprises.register(ctx(), enterprise_spec(region_code=region_code))
    assert error.value.field == "region_code"


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("industry", {"industry": "banking"}),
        ("supervision_level", {"supervision_level": "national"}),
        ("safety_officer.mobile", {"safety_officer_mobile": "0371-12345678"}),
        ("name", {"name": "  "}),
    ],
)
def test_single_bad_field_is_refused_and_named(field: str, overrides: dict) -> None:
    with pytest.raises(InvalidValue) as error:
        new_services().enterprises.register(ctx(), enterprise_spec(**overrides))
    assert error.value.field == field


def test_several_bad_fields_are_all_listed_at_once() -> None:
    spec = enterprise_spec(
        _mistyped(a_credit_code()), region_code="110101", industry="banking",
        supervision_level="national", safety_officer_mobile="12345",
    )
    with pytest.raises(InvalidValues) as error:
        new_services().enterprises.register(ctx(), spec)
    fields = {e.field for e in error.value.errors}
    assert fields == {"credit_code", "region_code", "industry", "supervision_level", "safety_officer.mobile"}


def test_registered_at_beyond_clock_skew_tolerance_is_refused() -> None:
    with pytest.raises(InvalidValue) as error:
        new_services().enterprises.register(ctx(), enterprise_spec(registered_at=NOW + timedelta(minutes=6)))
    assert error.value.field == "registered_at"


def test_registered_at_within_clock_skew_tolerance_is_accepted() -> None:
    receipt = new_services().enterprises.register(ctx(), enterprise_spec(registered_at=NOW + timedelta(minutes=4)))
    assert receipt.created


def test_naive_registered_at_is_refused() -> None:
    with pytest.raises(InvalidValue) as error:
        new_services().enterprises.register(ctx(), enterprise_spec(registered_at=datetime(2026, 10, 1, 9, 0)))
    assert error.value.field == "registered_at"


# --- idempotent registration ----------------------------------------------------------------------


def test_identical_repeated_registration_writes_nothing_and_returns_the_existing_version() -> None:
    services = new_services()
    spec = enterprise_spec()
    first = services.enterprises.register(ctx(), spec)
    with writes_nothing(services):
        again = services.enterprises.register(ctx(), spec)
    assert (again.aggregate_id, again.version, again.position, again.created) == (first.aggregate_id, 1, None, False)


def test_repeat_differing_only_in_spelling_of_same_values_is_idempotent() -> None:
    services = new_services()
    spec = enterprise_spec()
    services.enterprises.register(ctx(), spec)
    same = enterprise_spec(
        spec.credit_code.lower(), industry="危险化学品", supervision_level="县级", safety_officer_mobile="+86 138 0013 8000"
    )
    assert services.enterprises.register(ctx(), same).created is False


def test_same_credit_code_with_different_content_is_a_conflict() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    with writes_nothing(services), pytest.raises(Conflict):
        services.enterprises.register(ctx(), enterprise_spec(credit_code, name="另一家公司"))


def test_enterprise_id_is_a_uuid5_of_the_credit_code() -> None:
    services = new_services()
    spec = enterprise_spec()
    receipt = services.enterprises.register(ctx(), spec)
    assert receipt.aggregate_id == Enterprise.create_id(spec.credit_code)
    assert receipt.aggregate_id == uuid5(NAMESPACE_URL, f"/enterprises/{spec.credit_code}")


# --- change_details -------------------------------------------------------------------------------


def test_change_details_records_only_the_effective_changes() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    services.enterprises.change_details(ctx(), credit_code, {"name": "新名称", "region_code": "410185"})
    last = events(services, Enterprise.create_id(credit_code))[-1]
    assert type(last).__name__ == "DetailsChanged"
    assert last.changes == {"name": "新名称"}
    assert services.enterprises.get(credit_code).name == "新名称"


def test_change_that_alters_nothing_is_refused_and_records_nothing() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    with writes_nothing(services), pytest.raises(CommandRefused):
        services.enterprises.change_details(ctx(), credit_code, {"safety_officer_mobile": "+86 13800138000"})


def test_change_of_an_unknown_field_is_an_invalid_value() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    with pytest.raises(InvalidValue) as error:
        services.enterprises.change_details(ctx(), credit_code, {"credit_code": a_credit_code()})
    assert error.value.field == "credit_code"


def test_change_of_several_unknown_fields_lists_each() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    with pytest.raises(InvalidValues) as error:
        services.enterprises.change_details(ctx(), credit_code, {"colour": "red", "owner": "x"})
    assert {e.field for e in error.value.errors} == {"colour", "owner"}


def test_change_to_an_invalid_value_is_refused() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        services.enterprises.change_details(ctx(), credit_code, {"region_code": "410306"})
    assert error.value.field == "region_code"


def test_change_of_an_unregistered_enterprise_is_not_found() -> None:
    with pytest.raises(NotFound):
        new_services().enterprises.change_details(ctx(), a_credit_code(), {"name": "x"})


# --- deregistration -------------------------------------------------------------------------------


def test_deregistration_ends_the_enterprise() -> None:
    services = new_services()
    credit_code = deregistered_enterprise(services)
    enterprise = stored(services, Enterprise.create_id(credit_code))
    assert enterprise.is_active is False and enterprise.deregistration_reason == "注销"
    assert event_names(services, enterprise.id) == ["Registered", "Deregistered"]


def test_deregistered_enterprise_refuses_changes() -> None:
    services = new_services()
    credit_code = deregistered_enterprise(services)
    with writes_nothing(services), pytest.raises(CommandRefused):
        services.enterprises.change_details(ctx(), credit_code, {"name": "新名称"})


def test_deregistered_enterprise_cannot_be_deregistered_again() -> None:
    services = new_services()
    credit_code = deregistered_enterprise(services)
    with pytest.raises(CommandRefused):
        services.enterprises.deregister(ctx(), credit_code, "再次注销")


def test_deregistration_needs_a_reason() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    with pytest.raises(InvalidValue) as error:
        services.enterprises.deregister(ctx(), credit_code, " ")
    assert error.value.field == "reason"


@pytest.mark.parametrize("kind", ["risk", "hazard", "inspection"])
def test_deregistered_enterprise_cannot_get_new_records(kind: str) -> None:
    services = new_services()
    credit_code = deregistered_enterprise(services)
    with writes_nothing(services), pytest.raises(CommandRefused, match="deregistered"):
        _create(services, kind, credit_code)


@pytest.mark.parametrize("kind", ["risk", "hazard", "inspection"])
def test_unregistered_enterprise_cannot_get_records(kind: str) -> None:
    services = new_services()
    with writes_nothing(services), pytest.raises(CommandRefused, match="not registered"):
        _create(services, kind, a_credit_code())


def _create(services, kind: str, credit_code: str) -> None:  # noqa: ANN001
    if kind == "risk":
        services.risks.identify(ctx(), credit_code, risk_spec())
    elif kind == "hazard":
        services.hazards.register(ctx(), credit_code, hazard_spec())
    else:
        services.inspections.record(ctx(), credit_code, inspection_spec())


def test_registered_event_carries_business_time_and_meta() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    (registered,) = events(services, Enterprise.create_id(credit_code))
    assert registered.at == REGISTERED_AT
    assert (registered.meta.actor, registered.meta.channel, registered.meta.recorded_at) == ("alice", "rest", NOW)
