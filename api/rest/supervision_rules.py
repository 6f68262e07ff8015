"""The province's supervision rules (监管规则): read by anyone logged in, changed by admins only.
Each PUT is a new version with the admin as actor; the history is kept (GET .../versions)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.commanding import execute, receipt_body
from api.deps import AdminCommandDep, PrincipalDep, ServicesDep
from api.schemas.common import PROBLEMS
from api.schemas.supervision import RuleSetIn, RuleVersionView
from domain.rules.aggregate import RuleVersion

router = APIRouter(prefix="/supervision-rules", tags=["supervision rules"], responses=PROBLEMS)


def version_view(version: RuleVersion) -> RuleVersionView:
    return RuleVersionView(version=version.number, effective_from=version.effective_from, actor=version.actor,
                           recorded_at=version.recorded_at, rules=version.rules.as_dict())


@router.get("", response_model=RuleVersionView)
def current_rules(_: PrincipalDep, services: ServicesDep) -> RuleVersionView:
    """The rules in force now, with their version number (0: the seed's defaults)."""
    return version_view(services.write.rules.in_force(services.clock()))


@router.get("/versions", response_model=list[RuleVersionView])
def rule_versions(_: PrincipalDep, services: ServicesDep) -> list[RuleVersionView]:
    """Every published version, oldest first, with the admin who published it and when it takes effect."""
    return [version_view(v) for v in services.write.rules.history()]


@router.put("", response_model=RuleVersionView)
def publish_rules(body: RuleSetIn, call: AdminCommandDep) -> JSONResponse:
    """Publish the whole rule set as a new version (admins). Bad values are 422 with field errors,
    e.g. a negative day count; `effective_from` may be later, never before the current version."""
    rules = call.services.write.rules

    def respond(receipt):  # noqa: ANN001, ANN202
        latest = rules.latest()
        return 200, version_view(latest).model_dump(mode="json") | receipt_body(receipt, "rules_id")

    return execute(call, lambda ctx: rules.publish(ctx, body.rules(), body.effective_from), respond)
