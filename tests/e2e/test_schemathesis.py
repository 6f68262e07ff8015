"""A bounded schemathesis run over /openapi.json, as an administrator, an enterprise user and an
enterprise system with a client token: a few generated requests per operation (the documented
examples among them) must get no 5xx, and answers whose status, media type and body are the ones
the document declares.

SQLite only and a handful of examples per operation, so the whole run stays well under two
minutes. LEDGER_FUZZ_EXAMPLES=200 runs the same tests at a larger scale (docs/operations.md)."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from api.app import create_app
from api.bootstrap import Services, bootstrap
from api.settings import Settings
from tests.conftest import add_user, login
from tests.e2e.helpers import client_token, register_enterprise
from tests.support.clock import FakeClock

# No 5xx, and every answer documented: its status, its media type and its body's schema.
CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
          schemathesis.checks.content_type_conformance, schemathesis.checks.response_schema_conformance]
BOUNDED = settings(max_examples=int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "4")), deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))

# The schema is loaded when the module is imported (schemathesis.pytest.from_fixture, the lazy
# alternative, does not run on pytest 9.2: it reads the removed `Function._nodeid`), so the app is
# built here on a SQLite file of its own; the fixture below starts it and closes it.
DIRECTORY = Path(tempfile.mkdtemp(prefix="ledger-schemathesis-"))
atexit.register(shutil.rmtree, DIRECTORY, True)  # also when the tests here were deselected
SERVICES: Services = bootstrap(
    Settings(database_url=f"sqlite:///{DIRECTORY / 'ledger.db'}", jwt_secret="test-secret-" + uuid.uuid4().hex,
             subscription_check_seconds=0, projections="off", reminders="off", rate_limit_per_second=0),
    clock=FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
)
_RUNNER = SERVICES.new_projection_runner()
_RUNNER.ensure_current()  # the read models' tables, as the projection worker makes them when a deployment starts
_RUNNER.close()
APP = create_app(SERVICES)

# What each principal may call gets every phase (its examples, the coverage phase's boundary and
# negative values, fuzzing); the rest gets a few generated requests, which it must refuse cleanly.
ENTERPRISE_DOORS = r"\(enterprise\)"
PORTAL = r"^/api/v1/(subscriptions|interfaces)$|^/api/v1/subscriptions/\{subscription_id\}$|^/graphql$"


def operations_of(principal: str) -> Callable[[Any], bool]:
    def allowed(ctx: Any) -> bool:
        path, method = ctx.operation.path, ctx.operation.method.upper()
        door = any(re.search(ENTERPRISE_DOORS, tag) for tag in ctx.operation.definition.raw.get("tags", []))
        if principal == "client token":
            return door
        if principal == "enterprise user":
            return bool(re.search(PORTAL, path)) and method in ("GET", "POST") or door and method == "GET"
        return not door and not (path == "/api/v1/subscriptions" and method == "POST")
    return allowed


def loaded(phases: list[str]) -> schemathesis.BaseSchema:
    api = schemathesis.openapi.from_asgi("/openapi.json", APP)
    api.config.phases.update(phases=phases)
    return api


deep, light = loaded(["examples", "coverage", "fuzzing"]), loaded(["examples", "fuzzing"])


@pytest.fixture(scope="module")
def principals() -> Iterator[dict[str, dict[str, str]]]:
    """Each principal's Authorization header, on a started app (its lifespan runs once)."""
    try:
        with TestClient(APP) as client:
            credit_code = register_enterprise(SERVICES)
            yield {
                "admin": login(client, add_user(SERVICES, "admin")),
                "enterprise user": login(client, add_user(SERVICES, "enterprise", credit_code=credit_code)),
                "client token": client_token(client, SERVICES, credit_code)[1],
            }
    finally:
        SERVICES.close()


def call(case: schemathesis.Case, principals: dict[str, dict[str, str]], principal: str) -> None:
    case.call_and_validate(headers=principals[principal], checks=CHECKS)


@deep.include(operations_of("admin")).parametrize()
@BOUNDED
def test_as_an_administrator_where_allowed(case: schemathesis.Case, principals: dict[str, dict[str, str]]) -> None:
    call(case, principals, "admin")


@light.exclude(operations_of("admin")).parametrize()
@BOUNDED
def test_as_an_administrator_where_refused(case: schemathesis.Case, principals: dict[str, dict[str, str]]) -> None:
    call(case, principals, "admin")


@deep.include(operations_of("enterprise user")).parametrize()
@BOUNDED
def test_as_an_enterprise_user_where_allowed(case: schemathesis.Case, principals: dict[str, dict[str, str]]) -> None:
    call(case, principals, "enterprise user")


@light.exclude(operations_of("enterprise user")).parametrize()
@BOUNDED
def test_as_an_enterprise_user_where_refused(case: schemathesis.Case, principals: dict[str, dict[str, str]]) -> None:
    call(case, principals, "enterprise user")


@deep.include(operations_of("client token")).parametrize()
@BOUNDED
def test_with_a_client_token_where_allowed(case: schemathesis.Case, principals: dict[str, dict[str, str]]) -> None:
    call(case, principals, "client token")


@light.exclude(operations_of("client token")).parametrize()
@BOUNDED
def test_with_a_client_token_where_refused(case: schemathesis.Case, principals: dict[str, dict[str, str]]) -> None:
    call(case, principals, "client token")
