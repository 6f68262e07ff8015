"""Investigation records: proof that an enterprise investigated, whether or not it found hazards."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.inspections.aggregate import Inspection
from domain.shared.errors import Conflict, InvalidValue, InvalidValues, NotFound

from tests.unit.domain.helpers import (
    NOW,
    PERFORMED_AT,
    ctx,
    enterprise_id,
    event_names,
    inspection_spec,
    new_services,
    registered_enterprise,
    writes_nothing,
)


def test_inspection_that_found_no_hazard_is_recorded() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    receipt = services.inspections.record(ctx(), credit_code, inspection_spec(hazards_found=0))
    inspection = services.inspections.get(credit_code, receipt.aggregate_id)
    assert receipt.created and (inspection.hazards_found, inspection.performed_at) == (0, PERFORMED_AT)
    assert event_names(services, receipt.aggregate_id) == ["Recorded"]


def test_negative_hazard_count_is_refused() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        services.inspections.record(ctx(), credit_code, inspection_spec(hazards_found=-1))
    assert error.value.field == "hazards_found"


def test_several_bad_fields_are_listed_together() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    spec = inspection_spec(scope="", inspector=" ", performed_at=NOW + timedelta(hours=1), hazards_found=-2)
    with pytest.raises(InvalidValues) as error:
        services.inspections.record(ctx(), credit_code, spec)
    assert {e.field for e in error.value.errors} == {"scope", "inspector", "performed_at", "hazards_found"}


def test_identical_repeated_record_writes_nothing() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    spec = inspection_spec(hazards_found=2)
    first = services.inspections.record(ctx(), credit_code, spec)
    with writes_nothing(services):
        again = services.inspections.record(ctx(), credit_code, spec)
    assert (again.aggregate_id, again.version, again.position, again.created) == (first.aggregate_id, 1, None, False)


def test_same_inspection_code_with_different_content_is_a_conflict() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    services.inspections.record(ctx(), credit_code, inspection_spec("I-1", hazards_found=0))
    with writes_nothing(services), pytest.raises(Conflict):
        services.inspections.record(ctx(), credit_code, inspection_spec("I-1", hazards_found=3))


def test_inspection_id_is_a_uuid5_of_enterprise_and_inspection_code() -> None:
    services = new_services()
    first, second = registered_enterprise(services), registered_enterprise(services)
    a = services.inspections.record(ctx(), first, inspection_spec("I-1")).aggregate_id
    b = services.inspections.record(ctx(), second, inspection_spec("I-1")).aggregate_id
    assert a == Inspection.create_id(enterprise_id(first), "I-1")
    assert a != b


def test_inspection_of_another_enterprise_is_not_found() -> None:
    services = new_services()
    owner, other = registered_enterprise(services), registered_enterprise(services)
    inspection_id = services.inspections.record(ctx(), owner, inspection_spec()).aggregate_id
    with pytest.raises(NotFound):
        services.inspections.get(other, inspection_id)
