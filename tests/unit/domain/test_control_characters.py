"""The domain refuses control characters itself, so the CLI and importers meet the same rule as REST:
none in a single-line text, only tab and line breaks in a multi-line one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.shared.errors import InvalidValue, InvalidValues
from domain.shared.text import find_control_character
from domain.shared.validation import require_text
from tests.unit.domain.helpers import (
    a_plan,
    ctx,
    hazard_spec,
    identified_risk,
    measure,
    new_services,
    registered_enterprise,
    risk_spec,
    writes_nothing,
)


@pytest.mark.parametrize("text", ["a\x00b", "\x01", "x\x1f", "del\x7f", "tab\tinside", "line\nbreak", "cr\r"])
def test_a_single_line_text_holds_no_control_character(text: str) -> None:
    assert find_control_character(text) is not None


def test_a_multi_line_text_holds_tab_and_line_breaks_only() -> None:
    assert find_control_character("第一行\n第二行\t续\r\n", multiline=True) is None
    found = find_control_character("ok\n\x00", multiline=True)
    assert found is not None and (found.position, found.code_point) == (3, "U+0000")
    assert find_control_character("普通文本 with spaces") is None


def test_require_text_refuses_control_characters_even_at_the_ends() -> None:
    with pytest.raises(InvalidValue) as refused:
        require_text("名称\x00", "name")
    assert refused.value.field == "name" and "U+0000" in refused.value.message
    with pytest.raises(InvalidValue):
        require_text("\x1c名称", "name")  # str.strip() would have dropped it silently
    with pytest.raises(InvalidValue):
        require_text("一行\n两行", "name")
    assert require_text(" 一行\n两行 ", "reason", multiline=True) == "一行\n两行"


def test_a_risk_with_a_control_character_anywhere_is_refused_naming_each_field() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    spec = risk_spec(name="液氯\x00储罐", hazard_factors=["超压", "泄漏\x01"],
                     control_measures=[measure(department="安全\x7f部", description="报警仪\n联锁")])

    with writes_nothing(services), pytest.raises(InvalidValues) as refused:
        services.risks.identify(ctx(), credit_code, spec)

    assert {e.field for e in refused.value.errors} == {"name", "hazard_factors.1", "control_measures.0.department"}


def test_reasons_and_descriptions_may_span_lines() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    risk_id = identified_risk(services, credit_code, control_measures=[measure(description="一、报警仪\n二、联锁")])

    services.risks.invalidate(ctx(), credit_code, risk_id, "装置拆除\n见附件")
    with pytest.raises(InvalidValue):
        services.risks.invalidate(ctx(), credit_code, risk_id, "装置\x00拆除")


def test_a_rectification_plan_element_with_a_control_character_is_refused() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    plan = replace(a_plan(), funds_and_materials="五万元\x00")
    spec = hazard_spec(level="major", rectification_plan=plan)

    with writes_nothing(services), pytest.raises(InvalidValue) as refused:
        services.hazards.register(ctx(), credit_code, spec)

    assert refused.value.field == "rectification_plan.funds_and_materials"
