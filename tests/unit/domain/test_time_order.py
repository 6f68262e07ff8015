"""Business times keep their order across an aggregate's history, and measures carry real text."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.shared.errors import InvalidValue
from tests.unit.domain.helpers import (
    FOUND_AT,
    IDENTIFIED_AT,
    ctx,
    identified_risk,
    measure,
    registered_enterprise,
    registered_hazard,
    risk_spec,
    writes_nothing,
)
from tests.unit.domain.helpers import new_services


def test_a_level_change_dated_before_the_previous_change_is_refused() -> None:
    services = new_services()
    code = registered_enterprise(services)
    risk_id = identified_risk(services, code)
    services.risks.change_level(ctx(), code, risk_id, "major", "upgrade", IDENTIFIED_AT + timedelta(days=5))
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        services.risks.change_level(ctx(), code, risk_id, "low", "back-dated", IDENTIFIED_AT + timedelta(days=2))
    assert error.value.field == "changed_at"


def test_a_new_rectification_cannot_be_dated_before_the_failed_acceptance() -> None:
    services = new_services()
    code = registered_enterprise(services)
    hazard_id = registered_hazard(services, code)
    done, judged = FOUND_AT + timedelta(days=1), FOUND_AT + timedelta(days=2)
    services.hazards.report_rectification(ctx(), code, hazard_id, "fix", done, "王磊", None)
    services.hazards.accept(ctx(), code, hazard_id, False, "赵敏", judged, "not fixed")
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        services.hazards.report_rectification(ctx(), code, hazard_id, "fix again", done, "王磊", None)
    assert error.value.field == "completed_at"
    services.hazards.report_rectification(ctx(), code, hazard_id, "fix again", judged + timedelta(hours=1), "王磊", None)


@pytest.mark.parametrize("blank", ["description", "department", "responsible_person"])
def test_a_control_measure_with_blank_text_is_refused(blank: str) -> None:
    services = new_services()
    code = registered_enterprise(services)
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        services.risks.identify(ctx(), code, risk_spec(control_measures=[measure(**{blank: "  "})]))
    assert error.value.field == f"control_measures.0.{blank}"
