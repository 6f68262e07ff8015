"""The risk point: identification, level changes, control measures, invalidation and assessment bands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.risks.aggregate import Risk
from domain.risks.assessment import AssessmentBands, AssessmentMethod
from domain.shared.codes import RiskLevel
from domain.shared.errors import CommandRefused, Conflict, InvalidValue, InvalidValues

from tests.unit.domain.helpers import (
    IDENTIFIED_AT,
    NOW,
    ctx,
    enterprise_id,
    event_names,
    events,
    identified_risk,
    measure,
    new_services,
    registered_enterprise,
    risk_spec,
    stored,
    writes_nothing,
)

CHANGED_AT = IDENTIFIED_AT + timedelta(days=3)


def _risk():  # noqa: ANN202
    services = new_services()
    credit_code = registered_enterprise(services)
    return services, credit_code, identified_risk(services, credit_code)


# --- identification -------------------------------------------------------------------------------


def test_identified_risk_keeps_normalised_content() -> None:
    services, credit_code, risk_id = _risk()
    risk = services.risks.get(credit_code, risk_id)
    assert risk.accident_types == ["17", "19"]  # 中毒和窒息 -> GB 6441 code 19
    assert (risk.inherent_level, risk.level, risk.status) == (RiskLevel.SIGNIFICANT, RiskLevel.GENERAL, "valid")
    assert risk.enterprise_id == enterprise_id(credit_code)


def test_risk_id_is_a_uuid5_of_enterprise_and_risk_code() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    risk_id = identified_risk(services, credit_code, code="R-7")
    assert risk_id == Risk.create_id(enterprise_id(credit_code), "R-7")


def test_same_risk_code_under_two_enterprises_gives_two_risks() -> None:
    services = new_services()
    first, second = registered_enterprise(services), registered_enterprise(services)
    assert identified_risk(services, first, code="R-1") != identified_risk(services, second, code="R-1")


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("hazard_factors", {"hazard_factors": []}),
        ("hazard_factors.1", {"hazard_factors": ["超压", " "]}),
        ("accident_types", {"accident_types": []}),
        ("accident_types.0", {"accident_types": ["99"]}),
        ("assessment.method", {"assessment_method": "guesswork"}),
        ("assessment.score", {"assessment_score": -1}),
        ("current_level", {"current_level": "purple"}),
        ("control_measures", {"control_measures": []}),
        ("control_measures.0.control_level", {"control_measures": [measure(control_level="province")]}),
    ],
)
def test_invalid_identification_is_refused_and_names_the_field(field: str, overrides: dict) -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        services.risks.identify(ctx(), credit_code, risk_spec(**overrides))
    assert error.value.field == field


def test_score_contradicting_the_stated_inherent_level_is_refused() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    spec = risk_spec(assessment_score=180, inherent_level="general", current_level="general")
    with pytest.raises(InvalidValue, match="significant band") as error:
        services.risks.identify(ctx(), credit_code, spec)
    assert error.value.field == "inherent_level"


def test_score_contradiction_passes_when_bands_are_not_enforced() -> None:
    services = new_services(bands=AssessmentBands(enforce=False))
    credit_code = registered_enterprise(services)
    spec = risk_spec(assessment_score=180, inherent_level="general", current_level="general")
    assert services.risks.identify(ctx(), credit_code, spec).created


def test_inherent_level_defaults_to_current_level_for_the_band_check() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    risk_id = identified_risk(services, credit_code, inherent_level=None, current_level="significant")
    assert stored(services, risk_id).inherent_level is RiskLevel.SIGNIFICANT


def test_current_level_above_inherent_level_is_refused() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    with pytest.raises(InvalidValue) as error:
        services.risks.identify(ctx(), credit_code, risk_spec(current_level="major"))
    assert error.value.field == "current_level"


def test_several_identification_errors_are_listed_together() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    spec = risk_spec(hazard_factors=[], assessment_method="guesswork", identified_at=NOW + timedelta(hours=1))
    with pytest.raises(InvalidValues) as error:
        services.risks.identify(ctx(), credit_code, spec)
    assert {e.field for e in error.value.errors} == {"hazard_factors", "assessment.method", "identified_at"}


def test_identical_repeated_identification_writes_nothing() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    spec = risk_spec()
    first = services.risks.identify(ctx(), credit_code, spec)
    with writes_nothing(services):
        again = services.risks.identify(ctx(), credit_code, spec)
    assert (again.aggregate_id, again.position, again.created) == (first.aggregate_id, None, False)


def test_same_risk_code_with_different_content_is_a_conflict() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    services.risks.identify(ctx(), credit_code, risk_spec("R-1"))
    with writes_nothing(services), pytest.raises(Conflict):
        services.risks.identify(ctx(), credit_code, risk_spec("R-1", location="三号罐区"))


# --- level changes --------------------------------------------------------------------------------


def test_change_to_a_higher_level_is_an_upgrade() -> None:
    services, credit_code, risk_id = _risk()
    services.risks.change_level(ctx(), credit_code, risk_id, "major", "工艺变更", CHANGED_AT)
    assert event_names(services, risk_id) == ["Identified", "Upgraded"]
    risk = stored(services, risk_id)
    assert (risk.level, risk.level_changed_at) == (RiskLevel.MAJOR, CHANGED_AT)


def test_change_to_a_lower_level_is_a_downgrade() -> None:
    services, credit_code, risk_id = _risk()
    services.risks.change_level(ctx(), credit_code, risk_id, "low", "增设联锁", CHANGED_AT)
    assert event_names(services, risk_id) == ["Identified", "Downgraded"]
    assert stored(services, risk_id).level is RiskLevel.LOW


def test_level_change_event_records_previous_level() -> None:
    services, credit_code, risk_id = _risk()
    services.risks.change_level(ctx(), credit_code, risk_id, "red", "工艺变更", CHANGED_AT)
    upgraded = events(services, risk_id)[-1]
    assert (upgraded.level, upgraded.previous_level, upgraded.reason) == (4, 2, "工艺变更")


def test_same_level_change_is_refused_and_records_nothing() -> None:
    services, credit_code, risk_id = _risk()
    with writes_nothing(services), pytest.raises(CommandRefused):
        services.risks.change_level(ctx(), credit_code, risk_id, "general", "复核", CHANGED_AT)
    assert event_names(services, risk_id) == ["Identified"]


def test_level_change_before_identification_is_refused() -> None:
    services, credit_code, risk_id = _risk()
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        services.risks.change_level(ctx(), credit_code, risk_id, "major", "补录", IDENTIFIED_AT - timedelta(seconds=1))
    assert error.value.field == "changed_at"


def test_level_change_in_the_future_is_refused() -> None:
    services, credit_code, risk_id = _risk()
    with pytest.raises(InvalidValue) as error:
        services.risks.change_level(ctx(), credit_code, risk_id, "major", "预判", NOW + timedelta(hours=1))
    assert error.value.field == "changed_at"


def test_unknown_level_and_empty_reason_are_listed_together() -> None:
    services, credit_code, risk_id = _risk()
    with pytest.raises(InvalidValues) as error:
        services.risks.change_level(ctx(), credit_code, risk_id, "purple", "", CHANGED_AT)
    assert {e.field for e in error.value.errors} == {"level", "reason"}


# --- control measures -----------------------------------------------------------------------------


def test_revised_measures_replace_the_old_ones() -> None:
    services, credit_code, risk_id = _risk()
    services.risks.revise_measures(ctx(), credit_code, risk_id, [measure(control_level="team")], "班组管控")
    assert event_names(services, risk_id)[-1] == "MeasuresRevised"
    assert stored(services, risk_id).control_measures[0]["control_level"] == "team"


def test_revision_with_identical_measures_is_refused() -> None:
    services, credit_code, risk_id = _risk()
    with writes_nothing(services), pytest.raises(CommandRefused):
        services.risks.revise_measures(ctx(), credit_code, risk_id, [measure()], "复核")


def test_revision_with_unknown_control_level_is_refused() -> None:
    services, credit_code, risk_id = _risk()
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        services.risks.revise_measures(ctx(), credit_code, risk_id, [measure(control_level="city")], "复核")
    assert error.value.field == "control_measures.0.control_level"


# --- invalidation ---------------------------------------------------------------------------------


def _invalidated_risk():  # noqa: ANN202
    services, credit_code, risk_id = _risk()
    services.risks.invalidate(ctx(), credit_code, risk_id, "装置拆除")
    return services, credit_code, risk_id


def test_invalidated_risk_keeps_its_history() -> None:
    services, credit_code, risk_id = _invalidated_risk()
    risk = stored(services, risk_id)
    assert (risk.status, risk.invalidation_reason, risk.invalidated_at) == ("invalidated", "装置拆除", NOW)
    assert event_names(services, risk_id) == ["Identified", "Invalidated"]


@pytest.mark.parametrize("change", ["level", "measures", "invalidate"])
def test_invalidated_risk_refuses_any_change(change: str) -> None:
    services, credit_code, risk_id = _invalidated_risk()
    with writes_nothing(services), pytest.raises(CommandRefused, match="invalidated"):
        if change == "level":
            services.risks.change_level(ctx(), credit_code, risk_id, "major", "x", CHANGED_AT)
        elif change == "measures":
            services.risks.revise_measures(ctx(), credit_code, risk_id, [measure(control_level="post")], "x")
        else:
            services.risks.invalidate(ctx(), credit_code, risk_id, "again")


# --- event metadata and replay --------------------------------------------------------------------


def test_events_carry_meta_and_business_time() -> None:
    services, credit_code, risk_id = _risk()
    context = ctx(actor="bob", request_id="req-42", correlation_id="corr-42")
    services.risks.change_level(context, credit_code, risk_id, "major", "工艺变更", CHANGED_AT)
    identified, upgraded = events(services, risk_id)
    assert identified.at == IDENTIFIED_AT and upgraded.at == CHANGED_AT
    meta = upgraded.meta
    assert (meta.actor, meta.channel, meta.request_id, meta.correlation_id, meta.recorded_at) == (
        "bob", "rest", "req-42", "corr-42", NOW,
    )


def test_replayed_risk_has_the_state_of_all_its_changes() -> None:
    services, credit_code, risk_id = _risk()
    services.risks.change_level(ctx(), credit_code, risk_id, "major", "a", CHANGED_AT)
    services.risks.change_level(ctx(), credit_code, risk_id, "low", "b", CHANGED_AT + timedelta(days=1))
    services.risks.revise_measures(ctx(), credit_code, risk_id, [measure(department="生产部")], "c")
    risk = stored(services, risk_id)
    assert risk.version == 4
    assert type(risk.level) is RiskLevel and risk.level is RiskLevel.LOW
    assert type(risk.inherent_level) is RiskLevel and risk.inherent_level is RiskLevel.SIGNIFICANT
    assert risk.level_changed_at == CHANGED_AT + timedelta(days=1)
    assert risk.control_measures == [measure(department="生产部").as_dict()]


def test_replay_to_an_earlier_version_gives_the_earlier_level() -> None:
    services, credit_code, risk_id = _risk()
    services.risks.change_level(ctx(), credit_code, risk_id, "major", "a", CHANGED_AT)
    services.risks.change_level(ctx(), credit_code, risk_id, "low", "b", CHANGED_AT)
    assert services.ledger.repository.get(risk_id, version=2).level is RiskLevel.MAJOR


# --- default assessment bands ---------------------------------------------------------------------

BANDS = AssessmentBands()


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (320.1, RiskLevel.MAJOR), (400, RiskLevel.MAJOR),
        (320, RiskLevel.SIGNIFICANT), (180, RiskLevel.SIGNIFICANT), (160.1, RiskLevel.SIGNIFICANT),
        (160, RiskLevel.GENERAL), (70.1, RiskLevel.GENERAL),
        (70, RiskLevel.LOW), (0, RiskLevel.LOW),
    ],
)
def test_lec_bands_are_exclusive_lower_bounds(score: float, level: RiskLevel) -> None:
    assert BANDS.level_for(AssessmentMethod.LEC, score) is level


@pytest.mark.parametrize("method", [AssessmentMethod.LS, AssessmentMethod.MATRIX])
@pytest.mark.parametrize(
    ("score", "level"),
    [
        (25, RiskLevel.MAJOR), (20, RiskLevel.MAJOR), (19, RiskLevel.SIGNIFICANT), (15, RiskLevel.SIGNIFICANT),
        (14, RiskLevel.GENERAL), (9, RiskLevel.GENERAL), (8, RiskLevel.LOW), (1, RiskLevel.LOW),
    ],
)
def test_ls_and_matrix_bands_are_inclusive(method: AssessmentMethod, score: float, level: RiskLevel) -> None:
    assert BANDS.level_for(method, score) is level


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (180, RiskLevel.MAJOR), (179, RiskLevel.SIGNIFICANT), (90, RiskLevel.SIGNIFICANT),
        (89, RiskLevel.GENERAL), (50, RiskLevel.GENERAL), (49, RiskLevel.LOW),
    ],
)
def test_mes_bands_are_inclusive(score: float, level: RiskLevel) -> None:
    assert BANDS.level_for(AssessmentMethod.MES, score) is level


def test_band_check_accepts_the_matching_level() -> None:
    BANDS.check(AssessmentMethod.LEC, 320, RiskLevel.SIGNIFICANT, "inherent_level")


def test_band_check_refuses_a_negative_score_even_when_not_enforced() -> None:
    with pytest.raises(InvalidValue) as error:
        AssessmentBands(enforce=False).check(AssessmentMethod.LS, -1, RiskLevel.LOW, "inherent_level")
    assert error.value.field == "assessment.score"


def test_configured_bands_replace_the_defaults_per_method() -> None:
    from domain.risks.assessment import AssessmentBands, AssessmentMethod
    from domain.shared.codes import RiskLevel

    bands = AssessmentBands.configured({"lec": [400, 200, 100]})
    assert bands.level_for(AssessmentMethod.LEC, 350) is RiskLevel.SIGNIFICANT
    assert bands.level_for(AssessmentMethod.LEC, 100) is RiskLevel.LOW  # LEC keeps "above the threshold"
    assert bands.level_for(AssessmentMethod.LS, 20) is RiskLevel.MAJOR  # untouched default


@pytest.mark.parametrize("thresholds", [{"lec": [1, 2, 3]}, {"lec": [300, 200]}, {"guess": [3, 2, 1]}])
def test_misconfigured_bands_are_refused(thresholds: dict) -> None:
    from domain.risks.assessment import AssessmentBands

    with pytest.raises(InvalidValue):
        AssessmentBands.configured(thresholds)
