"""Sessions (POST /api/v1/sessions) and who may use which door: 401 for missing, tampered or expired
tokens, 403 for the wrong role, 404 outside a supervisor's region scope."""

from __future__ import annotations

import base64
import json
import random

import jwt
from fastapi.testclient import TestClient

from api.bootstrap import Services
from domain.shared.credit_code import credit_code_with_check_digit
from tests.e2e.helpers import assert_problem, register_enterprise
from tests.conftest import PASSWORD, add_user, login
from tests.support.builders import a_credit_code, enterprise_body, risk_body
from tests.support.clock import FakeClock







def luoyang_credit_code() -> str:
    """A fresh valid credit code registered in 410302 老城区 (洛阳市)."""
    return credit_code_with_check_digit(f"91410302MA{random.randrange(10**7):07d}")


# --- sessions ------------------------------------------------------------------------------------


def test_login_returns_a_bearer_token_with_its_lifetime(client: TestClient, services: Services) -> None:
    username = add_user(services, "admin")
    response = client.post("/api/v1/sessions", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"].count(".") == 2  # a JWT


def test_wrong_password_and_unknown_user_are_401_with_www_authenticate(client: TestClient, services: Services) -> None:
    username = add_user(services, "admin")
    for credentials in ({"username": username, "password": "wrong"}, {"username": "nobody-here", "password": PASSWORD}):
        response = client.post("/api/v1/sessions", json=credentials)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
    body = assert_problem(client.post("/api/v1/sessions", json={"username": username}), 422)
    assert any(e["loc"][-1] == "password" for e in body["errors"])


# --- 401 -----------------------------------------------------------------------------------------


def test_missing_token_is_401(client: TestClient, services: Services) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}):
        response = client.get("/api/v1/enterprises/" + a_credit_code(), headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
    assert_problem(client.post("/api/v1/risks", json=risk_body()), 401)


def test_garbage_and_tampered_tokens_are_401(client: TestClient, services: Services) -> None:
    credit_code = register_enterprise(services)
    headers = login(client, add_user(services, "admin"))
    assert client.get(f"/api/v1/enterprises/{credit_code}", headers=headers).status_code == 200

    token = headers["Authorization"].removeprefix("Bearer ")
    header_part, payload_part, signature = token.split(".")
    # Flip a character in the middle of the signature (the last base64url character may carry only
    # padding bits, so changing it might not change the decoded signature).
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    tampered_signature = signature[:middle] + flipped + signature[middle + 1:]
    # A payload edited to claim another role, keeping the original signature.
    claims = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    claims["role"] = "auditor"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    # A well-formed token signed with another deployment's key.
    foreign = jwt.encode(claims, b"not-the-secret-of-this-deployment-0123456789", algorithm="HS256")

    for bad in (
        "garbage",
        "a.b.c",
        f"{header_part}.{payload_part}.{tampered_signature}",
        f"{header_part}.{forged_payload}.{signature}",
        f"{header_part}.{payload_part}.",
        foreign,
    ):
        response = client.get(f"/api/v1/enterprises/{credit_code}", headers={"Authorization": f"Bearer {bad}"})
        body = assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        assert "invalid token" in body["detail"]


def test_expired_token_is_401(client: TestClient, services: Services, clock: FakeClock) -> None:
    credit_code = register_enterprise(services)
    headers = login(client, add_user(services, "admin"))
    clock.advance(minutes=59)
    assert client.get(f"/api/v1/enterprises/{credit_code}", headers=headers).status_code == 200
    clock.advance(minutes=2)  # 61 minutes after login
    response = client.get(f"/api/v1/enterprises/{credit_code}", headers=headers)
    body = assert_problem(response, 401)
    assert "expired" in body["detail"]
    assert response.headers["www-authenticate"] == "Bearer"


# --- 403: the wrong door -------------------------------------------------------------------------


def test_admin_may_not_use_the_enterprise_door(client: TestClient, services: Services) -> None:
    headers = login(client, add_user(services, "admin"))
    before = services.events.head()
    assert_problem(client.post("/api/v1/risks", json=risk_body(), headers=headers), 403)
    assert_problem(client.post("/api/v1/inspections", json={}, headers=headers), 403)
    assert services.events.head() == before


def test_enterprise_user_may_not_register_enterprises(client: TestClient, services: Services) -> None:
    credit_code = register_enterprise(services)
    headers = login(client, add_user(services, "enterprise", credit_code=credit_code))
    before = services.events.head()
    assert_problem(client.post("/api/v1/enterprises", json=enterprise_body(), headers=headers), 403)
    assert_problem(client.patch(f"/api/v1/enterprises/{credit_code}", json={"name": "改名"}, headers=headers), 403)
    assert_problem(client.get(f"/api/v1/enterprises/{credit_code}", headers=headers), 403)
    assert services.events.head() == before


def test_supervisor_and_auditor_may_not_write(client: TestClient, services: Services) -> None:
    for user in (add_user(services, "supervisor", region_code="410100"), add_user(services, "auditor")):
        headers = login(client, user)
        assert_problem(client.post("/api/v1/enterprises", json=enterprise_body(), headers=headers), 403)
        assert_problem(client.post("/api/v1/risks", json=risk_body(), headers=headers), 403)


def test_auditor_reads_audit_enterprise_user_may_not(client: TestClient, services: Services) -> None:
    credit_code = register_enterprise(services)
    enterprise_id = services.write.enterprises.get(credit_code).id
    auditor = login(client, add_user(services, "auditor"))
    response = client.get(f"/api/v1/audit/aggregates/{enterprise_id}/events", headers=auditor)
    assert response.status_code == 200, response.text
    assert [e["type"] for e in response.json()] == ["Enterprise.Registered"]

    admin = login(client, add_user(services, "admin"))
    assert client.get(f"/api/v1/audit/aggregates/{enterprise_id}/events", headers=admin).status_code == 200

    enterprise_user = login(client, add_user(services, "enterprise", credit_code=credit_code))
    assert_problem(client.get(f"/api/v1/audit/aggregates/{enterprise_id}/events", headers=enterprise_user), 403)
    supervisor = login(client, add_user(services, "supervisor", region_code="410100"))
    assert_problem(client.get(f"/api/v1/audit/aggregates/{enterprise_id}/events", headers=supervisor), 403)


# --- supervisor scope ----------------------------------------------------------------------------


def test_supervisor_sees_enterprises_only_within_the_region_scope(client: TestClient, services: Services) -> None:
    dengfeng = register_enterprise(services, region_code="410185")  # 登封市, under 郑州市 410100
    luoyang = register_enterprise(services, luoyang_credit_code(), region_code="410302")  # 老城区, 洛阳市
    headers = login(client, add_user(services, "supervisor", region_code="410100"))

    response = client.get(f"/api/v1/enterprises/{dengfeng}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["region_name"] == "登封市"

    body = assert_problem(client.get(f"/api/v1/enterprises/{luoyang}", headers=headers), 404)
    assert luoyang in body["detail"]
    # Out of scope looks exactly like not registered at all.
    assert_problem(client.get(f"/api/v1/enterprises/{a_credit_code()}", headers=headers), 404)

    luoyang_supervisor = login(client, add_user(services, "supervisor", region_code="410300"))
    assert client.get(f"/api/v1/enterprises/{luoyang}", headers=luoyang_supervisor).status_code == 200
    assert_problem(client.get(f"/api/v1/enterprises/{dengfeng}", headers=luoyang_supervisor), 404)

    province = login(client, add_user(services, "supervisor", region_code="410000"))
    for code in (dengfeng, luoyang):
        assert client.get(f"/api/v1/enterprises/{code}", headers=province).status_code == 200
