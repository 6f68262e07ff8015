"""Users: role bindings (region for supervisors, one enterprise for enterprise users) and scopes."""

from __future__ import annotations

import pytest

from domain.identity.aggregate import Role, Scope, User, region_prefix_of
from domain.identity.commands import UserSpec
from domain.shared.errors import CommandRefused, Conflict, InvalidValue, InvalidValues, NotFound

from tests.unit.domain.helpers import (
    a_credit_code,
    ctx,
    deregistered_enterprise,
    new_services,
    registered_enterprise,
    stored,
    writes_nothing,
)

HASH = "$argon2id$fake"


def _add(services, spec: UserSpec):  # noqa: ANN001, ANN202
    return services.users.add(ctx(), spec, HASH)


def _refusal(spec: UserSpec) -> InvalidValue:
    services = new_services()
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        _add(services, spec)
    return error.value


# --- role bindings --------------------------------------------------------------------------------


def test_supervisor_needs_a_region() -> None:
    assert _refusal(UserSpec("sup-1", "supervisor")).field == "region"


def test_supervisor_with_an_unknown_region_is_refused() -> None:
    assert _refusal(UserSpec("sup-1", "supervisor", region_code="110101")).field == "region"


def test_supervisor_with_a_region_gets_the_region_prefix_as_scope() -> None:
    services = new_services()
    spec = UserSpec("sup-zz", "supervisor", region_code="410100", industries=("危险化学品",), supervision_level="city")
    user = stored(services, _add(services, spec).aggregate_id)
    assert (user.role, user.industries) == (Role.SUPERVISOR, ["hazardous_chemicals"])
    assert user.scope == Scope("4101", ("hazardous_chemicals",), "city")


def test_enterprise_user_needs_a_credit_code() -> None:
    assert _refusal(UserSpec("ent-1", "enterprise")).field == "enterprise"


def test_enterprise_user_of_an_unregistered_enterprise_is_refused() -> None:
    services = new_services()
    with writes_nothing(services), pytest.raises(CommandRefused):
        _add(services, UserSpec("ent-1", "enterprise", credit_code=a_credit_code()))


def test_enterprise_user_of_a_deregistered_enterprise_is_refused() -> None:
    services = new_services()
    credit_code = deregistered_enterprise(services)
    with pytest.raises(CommandRefused):
        _add(services, UserSpec("ent-1", "enterprise", credit_code=credit_code))


def test_enterprise_user_is_bound_to_a_registered_enterprise() -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    user = stored(services, _add(services, UserSpec("ent-1", "enterprise", credit_code=credit_code.lower())).aggregate_id)
    assert (user.role, user.credit_code) == (Role.ENTERPRISE, credit_code)


@pytest.mark.parametrize("role", ["admin", "supervisor", "auditor"])
def test_non_enterprise_user_bound_to_an_enterprise_is_refused(role: str) -> None:
    services = new_services()
    credit_code = registered_enterprise(services)
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        _add(services, UserSpec("u-1", role, region_code="410100", credit_code=credit_code))
    assert error.value.field == "enterprise"


@pytest.mark.parametrize(
    ("username", "role", "field"),
    [("ab", "admin", "username"), ("bad name", "admin", "username"), ("ok-name", "root", "role")],
)
def test_bad_username_or_role_is_refused(username: str, role: str, field: str) -> None:
    assert _refusal(UserSpec(username, role)).field == field


def test_bad_username_and_role_are_listed_together() -> None:
    with pytest.raises(InvalidValues) as error:
        _add(new_services(), UserSpec("x", "root"))
    assert {e.field for e in error.value.errors} == {"username", "role"}


def test_identical_repeated_user_writes_nothing_and_a_different_one_conflicts() -> None:
    services = new_services()
    first = _add(services, UserSpec("aud-1", "auditor"))
    with writes_nothing(services):
        assert _add(services, UserSpec("aud-1", "auditor")).created is False
    with writes_nothing(services), pytest.raises(Conflict):
        _add(services, UserSpec("aud-1", "admin"))
    assert first.aggregate_id == User.create_id("aud-1")


def test_deactivated_user_refuses_a_password_change() -> None:
    services = new_services()
    _add(services, UserSpec("aud-1", "auditor"))
    services.users.deactivate(ctx(), "aud-1", "离职")
    with writes_nothing(services), pytest.raises(CommandRefused):
        services.users.change_password(ctx(), "aud-1", "$argon2id$other")
    assert services.users.find("aud-1").is_active is False


def test_deactivation_needs_a_reason_and_a_known_user() -> None:
    services = new_services()
    _add(services, UserSpec("aud-1", "auditor"))
    with writes_nothing(services), pytest.raises(InvalidValue) as error:
        services.users.deactivate(ctx(), "aud-1", "  ")
    assert error.value.field == "reason"
    with writes_nothing(services), pytest.raises(NotFound, match="no user named 'nobody'"):
        services.users.deactivate(ctx(), "nobody", "离职")


def test_reactivation_reopens_the_user_and_keeps_the_deactivation_time_for_old_tokens() -> None:
    services = new_services()
    _add(services, UserSpec("aud-1", "auditor"))
    with writes_nothing(services), pytest.raises(CommandRefused):
        services.users.reactivate(ctx(), "aud-1", "复职")  # active: nothing to undo
    services.users.deactivate(ctx(), "aud-1", "离职")
    deactivated = services.users.find("aud-1")
    assert (deactivated.is_active, deactivated.deactivation_reason) == (False, "离职")
    with writes_nothing(services), pytest.raises(CommandRefused):
        services.users.deactivate(ctx(), "aud-1", "again")
    services.users.reactivate(ctx(), "aud-1", "复职")
    user = services.users.find("aud-1")
    assert user.is_active and user.tokens_revoked_at == deactivated.tokens_revoked_at is not None


# --- scopes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "prefix"), [("410000", "41"), ("410100", "4101"), ("410185", "410185"), ("419001", "419001")]
)
def test_region_prefix_is_the_meaningful_part_of_the_code(code: str, prefix: str) -> None:
    assert region_prefix_of(code) == prefix


def test_province_scope_covers_every_henan_region() -> None:
    scope = Scope("41")
    assert scope.covers("410185", "fireworks", "county") and scope.covers("410302", "metallurgy", "city")


def test_city_scope_covers_its_counties_only() -> None:
    scope = Scope("4101")
    assert scope.covers("410185", "fireworks", "county")
    assert not scope.covers("410302", "fireworks", "county")


def test_industry_scope_covers_only_its_industries() -> None:
    scope = Scope("41", ("hazardous_chemicals", "fireworks"))
    assert scope.covers("410185", "fireworks", "county")
    assert not scope.covers("410185", "metallurgy", "county")


def test_level_scope_covers_only_its_supervision_level() -> None:
    scope = Scope("41", supervision_level="city")
    assert scope.covers("410185", "fireworks", "city")
    assert not scope.covers("410185", "fireworks", "county")


def test_empty_scope_covers_everything() -> None:
    assert Scope().covers("410185", "other", "province")
