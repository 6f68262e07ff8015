"""Deactivating a user (issue 9, item 7): the user can no longer log in, and tokens issued before
are refused within the user check interval (0 s in the tests) on every door: commands, reads and
GraphQL. The deactivation is an event with its actor and reason; over REST and the CLI alike."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.bootstrap import Services
from api.cli import app as cli
from domain.identity.aggregate import User
from tests.conftest import PASSWORD, add_user, login
from tests.e2e.helpers import assert_problem, portal_login, register_enterprise
from tests.support.clock import FakeClock

GRAPHQL = {"query": "{ __typename }"}  # the context authenticates every request, whatever it asks


def _deactivate(client: TestClient, headers: dict[str, str], username: str, reason: object = "离职") -> object:
    return client.post(f"/api/v1/users/{username}/deactivation", json={"reason": reason}, headers=headers)


def _works(client: TestClient, headers: dict[str, str], credit_code: str) -> None:
    assert client.get(f"/api/v1/enterprises/{credit_code}", headers=headers).status_code == 200
    graphql = client.post("/graphql", json=GRAPHQL, headers=headers)
    assert graphql.status_code == 200 and graphql.json()["data"] == {"__typename": "Query"}, graphql.text


def _refused_everywhere(client: TestClient, headers: dict[str, str], credit_code: str) -> None:
    read = assert_problem(client.get(f"/api/v1/enterprises/{credit_code}", headers=headers), 401)
    assert "deactivated" in read["detail"]
    command = client.post(f"/api/v1/enterprises/{credit_code}/deregistration", json={"reason": "停产"}, headers=headers)
    assert "deactivated" in assert_problem(command, 401)["detail"]
    assert "deactivated" in assert_problem(client.post("/graphql", json=GRAPHQL, headers=headers), 401)["detail"]


def _deactivation_event(services: Services, username: str):  # noqa: ANN202
    events = services.events.aggregate_events(User.create_id(username))
    return [e.event for e in events if e.topic.endswith("Deactivated")]


def test_an_admin_deactivates_another_admin_whose_old_token_is_refused_at_once(client: TestClient, services: Services) -> None:
    boss, other = add_user(services, "admin"), add_user(services, "admin")
    boss_token, other_token = login(client, boss), login(client, other)
    credit_code = register_enterprise(services)
    _works(client, other_token, credit_code)

    response = _deactivate(client, boss_token, other, "调离岗位")
    assert response.status_code == 200, response.text
    assert response.json()["username"] == other and response.json()["active"] is False

    _refused_everywhere(client, other_token, credit_code)
    assert services.write.enterprises.get(credit_code).is_active  # the command above did not run
    login_refused = assert_problem(client.post("/api/v1/sessions", json={"username": other, "password": PASSWORD}), 401)
    assert "deactivated" in login_refused["detail"]
    [event] = _deactivation_event(services, other)
    assert event.reason == "调离岗位" and event.meta.actor == f"user:{boss}"
    _works(client, boss_token, credit_code)  # the deactivating admin is unaffected


def test_a_deactivation_on_the_command_line_refuses_the_users_token_in_the_serving_app(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = add_user(services, "admin")
    other_token = login(client, other)
    credit_code = register_enterprise(services)
    _works(client, other_token, credit_code)  # the gate has seen the user active

    monkeypatch.setenv("LEDGER_DATABASE_URL", services.settings.database_url)
    result = CliRunner().invoke(cli, ["users", "deactivate", other, "--reason", "账号泄露"])
    assert result.exit_code == 0, result.output
    assert f"user {other} deactivated" in result.output

    _refused_everywhere(client, other_token, credit_code)
    [event] = _deactivation_event(services, other)
    assert event.reason == "账号泄露" and event.meta.actor.startswith("cli:") and event.meta.channel == "cli"


def test_a_deactivated_enterprise_user_is_refused_in_the_portal(client: TestClient, services: Services) -> None:
    admin = login(client, add_user(services, "admin"))
    credit_code = register_enterprise(services)
    portal = portal_login(client, services, credit_code)
    assert client.get("/api/v1/subscriptions", headers=portal).status_code == 200
    username = services.tokens.verify(portal["Authorization"].split()[1], services.clock())["sub"]

    assert _deactivate(client, admin, username).status_code == 200
    assert "deactivated" in assert_problem(client.get("/api/v1/subscriptions", headers=portal), 401)["detail"]


def test_reactivation_lets_the_user_log_in_again_but_not_use_a_token_from_before(
    client: TestClient, services: Services, clock: FakeClock
) -> None:
    admin, other = login(client, add_user(services, "admin")), add_user(services, "admin")
    credit_code = register_enterprise(services)
    leaked = login(client, other)
    clock.advance(seconds=1)
    assert _deactivate(client, admin, other, "令牌泄露").status_code == 200
    clock.advance(seconds=1)
    response = client.post(f"/api/v1/users/{other}/reactivation", json={"reason": "复职"}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["active"] is True
    fresh = login(client, other)
    _works(client, fresh, credit_code)
    detail = assert_problem(client.get(f"/api/v1/enterprises/{credit_code}", headers=leaked), 401)["detail"]
    assert "issued before the user was deactivated" in detail
    assert_problem(client.post(f"/api/v1/users/{other}/reactivation", json={"reason": "复职"}, headers=admin), 409)


def test_deactivation_refusals(client: TestClient, services: Services) -> None:
    admin_name = add_user(services, "admin")
    admin, other = login(client, admin_name), add_user(services, "auditor")
    before = services.events.head()
    assert "nobody-here" in assert_problem(_deactivate(client, admin, "nobody-here"), 404)["detail"]
    supervisor = login(client, add_user(services, "supervisor", region_code="410100"))
    before = services.events.head()
    assert_problem(_deactivate(client, supervisor, other), 403)
    assert_problem(_deactivate(client, login(client, other), other), 403)
    body = assert_problem(_deactivate(client, admin, other, "   "), 422)
    assert body["errors"][0]["loc"][-1] == "reason"
    assert_problem(_deactivate(client, admin, admin_name), 409)  # no admin locks themself out
    assert services.events.head() == before
    assert _deactivate(client, admin, other).status_code == 200
    assert_problem(_deactivate(client, admin, other), 409)  # already deactivated
    assert_problem(client.post(f"/api/v1/users/{other}/deactivation", headers=admin), 422)  # no body


def test_the_command_line_refuses_an_unknown_user_and_an_empty_reason(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", services.settings.database_url)
    other = add_user(services, "auditor")
    before = services.events.head()
    result = CliRunner().invoke(cli, ["users", "deactivate", "nobody-here", "--reason", "离职"])
    assert result.exit_code == 1 and "no user named 'nobody-here'" in result.output
    result = CliRunner().invoke(cli, ["users", "deactivate", other, "--reason", " "])
    assert result.exit_code == 1 and "reason: must not be empty" in result.output
    result = CliRunner().invoke(cli, ["users", "deactivate", other])
    assert result.exit_code == 2  # --reason is required
    assert services.events.head() == before
    assert services.write.users.find(other).is_active
