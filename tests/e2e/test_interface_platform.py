"""The interface platform end to end over HTTP: apply -> reject with a reason -> apply again ->
approve -> secret shown once -> token -> commands -> revoke -> refused -> all of it in the call log
and its Excel export."""

from __future__ import annotations

from io import BytesIO

import openpyxl
from fastapi.testclient import TestClient

from api.bootstrap import Services
from tests.conftest import add_user, login
from tests.e2e.helpers import assert_problem, client_token, portal_login, register_enterprise
from tests.support.builders import hazard_body, risk_body

APPLY = {"interfaces": ["risk.add", "risk.maintain"], "purpose": "企业双重预防系统对接", "contact": {"name": "张伟", "mobile": "13800138000"}}


def token(client: TestClient, client_id: str, secret: str) -> dict:
    return client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})


def test_the_whole_subscription_flow(client: TestClient, services: Services) -> None:
    credit_code = register_enterprise(services)
    portal = portal_login(client, services, credit_code)
    admin = login(client, add_user(services, "admin"))

    # The enterprise sees the catalog and applies.
    catalog = client.get("/api/v1/interfaces", headers=portal).json()
    assert {i["code"] for i in catalog} >= {"risk.add", "risk.maintain", "hazard.add", "inspection.record"}
    applied = client.post("/api/v1/subscriptions", json=APPLY, headers=portal)
    assert applied.status_code == 201, applied.text
    subscription_id = applied.json()["subscription_id"]
    assert_problem(client.post("/api/v1/subscriptions", json=APPLY, headers=portal), 409)  # one live per set

    # The admin finds it pending and rejects it with a reason; the enterprise sees the reason.
    pending = client.get("/api/v1/subscriptions?status=pending", headers=admin).json()
    assert subscription_id in {s["subscription_id"] for s in pending["items"]}
    assert_problem(client.post(f"/api/v1/subscriptions/{subscription_id}/rejection", json={"reason": ""}, headers=admin), 422)
    rejected = client.post(f"/api/v1/subscriptions/{subscription_id}/rejection", json={"reason": "用途描述不清"}, headers=admin)
    assert rejected.status_code == 200, rejected.text
    own = client.get("/api/v1/subscriptions", headers=portal).json()["items"][0]
    assert own["status"] == "rejected" and own["decisions"][-1]["reason"] == "用途描述不清"

    # It applies again and is approved; the secret is shown once, to the enterprise.
    assert client.post("/api/v1/subscriptions", json=APPLY, headers=portal).status_code == 201
    approved = client.post(f"/api/v1/subscriptions/{subscription_id}/approval", headers=admin)
    assert approved.status_code == 200, approved.text
    assert "client_secret" not in approved.json()
    first = client.get(f"/api/v1/subscriptions/{subscription_id}", headers=portal).json()
    secret, client_id = first["client_secret"], first["client_id"]
    assert secret and client_id == subscription_id
    assert client.get(f"/api/v1/subscriptions/{subscription_id}", headers=portal).json()["client_secret"] is None

    # Wrong secret: OAuth2 invalid_client.
    wrong = token(client, client_id, secret + "x")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    granted = token(client, client_id, secret)
    assert granted.status_code == 200, granted.text
    assert granted.json()["scope"] == "risk.add risk.maintain" and granted.json()["token_type"] == "bearer"
    system = {"Authorization": f"Bearer {granted.json()['access_token']}"}

    # Commands in scope succeed; out of scope is 403 insufficient_scope.
    created = client.post("/api/v1/risks", json=risk_body(), headers=system)
    assert created.status_code == 201, created.text
    risk_id = created.json()["risk_id"]
    change = {"level": "major", "reason": "储量增加", "changed_at": "2026-11-20T10:00:00+08:00"}
    assert client.post(f"/api/v1/risks/{risk_id}/level-changes", json=change, headers=system).status_code == 200
    out_of_scope = assert_problem(client.post("/api/v1/hazards", json=hazard_body(), headers=system), 403)
    assert out_of_scope.get("error") == "insufficient_scope"

    # Revocation: the next command is refused (the gate is configured without caching in tests).
    client.post(f"/api/v1/subscriptions/{subscription_id}/revocation", json={"reason": "停止对接"}, headers=admin)
    change["level"] = "low"
    assert_problem(client.post(f"/api/v1/risks/{risk_id}/level-changes", json=change, headers=system), 401)
    assert token(client, client_id, secret).json()["error"] == "invalid_client"

    # The call log shows all of it, and the export has the rows.
    services.call_log.flush()
    logged = client.get(f"/api/v1/call-logs?enterprise={credit_code}&limit=100", headers=admin).json()["items"]
    statuses = sorted((entry["interface_code"], entry["status"]) for entry in logged)
    assert statuses == sorted([
        ("oauth.token", 401), ("oauth.token", 200), ("risk.add", 201), ("risk.maintain", 200),
        ("hazard.add", 403), ("risk.maintain", 401), ("oauth.token", 401),
    ])
    export = client.get(f"/api/v1/call-logs/export.xlsx?enterprise={credit_code}", headers=admin)
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(BytesIO(export.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "接口编码" in rows[0] and len(rows) == 1 + len(logged)


def test_the_secret_never_appears_after_its_first_display(client: TestClient, services: Services) -> None:
    credit_code = register_enterprise(services)
    portal = portal_login(client, services, credit_code)
    admin = login(client, add_user(services, "admin"))
    subscription_id = client.post("/api/v1/subscriptions", json=APPLY, headers=portal).json()["subscription_id"]
    client.post(f"/api/v1/subscriptions/{subscription_id}/approval", headers=admin)
    secret = client.get(f"/api/v1/subscriptions/{subscription_id}", headers=portal).json()["client_secret"]
    assert token(client, subscription_id, secret).status_code == 200
    services.call_log.flush()

    auditor = login(client, add_user(services, "auditor"))
    history = client.get(f"/api/v1/audit/aggregates/{subscription_id}/events", headers=auditor).text
    listing = client.get("/api/v1/subscriptions", headers=admin).text
    logs = client.get("/api/v1/call-logs?limit=1000", headers=admin).text
    again = client.get(f"/api/v1/subscriptions/{subscription_id}", headers=portal).text
    for text in (history, listing, logs, again):
        assert secret not in text
    assert "secret_hash" in history  # only the hash is recorded


def test_key_rotation_keeps_the_old_secret_for_the_overlap_only(client: TestClient, services: Services, clock) -> None:  # noqa: ANN001
    credit_code = register_enterprise(services)
    portal = portal_login(client, services, credit_code)
    admin = login(client, add_user(services, "admin"))
    subscription_id = client.post("/api/v1/subscriptions", json=APPLY, headers=portal).json()["subscription_id"]
    client.post(f"/api/v1/subscriptions/{subscription_id}/approval", headers=admin)
    old = client.get(f"/api/v1/subscriptions/{subscription_id}", headers=portal).json()["client_secret"]
    assert client.post(f"/api/v1/subscriptions/{subscription_id}/key-rotation", headers=admin).status_code == 200
    new = client.get(f"/api/v1/subscriptions/{subscription_id}", headers=portal).json()["client_secret"]
    assert new and new != old
    assert token(client, subscription_id, old).status_code == 200  # within the overlap
    clock.advance(hours=25)
    assert token(client, subscription_id, old).status_code == 401
    assert token(client, subscription_id, new).status_code == 200


def test_one_enterprises_token_cannot_touch_anothers_data(client: TestClient, services: Services) -> None:
    a, b = register_enterprise(services), register_enterprise(services)
    _, token_a = client_token(client, services, a)
    _, token_b = client_token(client, services, b)
    risk_id = client.post("/api/v1/risks", json=risk_body(), headers=token_a).json()["risk_id"]
    assert_problem(client.get(f"/api/v1/risks/{risk_id}", headers=token_b), 404)
    change = {"level": "major", "reason": "x", "changed_at": "2026-11-20T10:00:00+08:00"}
    assert_problem(client.post(f"/api/v1/risks/{risk_id}/level-changes", json=change, headers=token_b), 404)
    assert client.get(f"/api/v1/risks/{risk_id}", headers=token_a).json()["version"] == 1


def test_tampered_and_expired_client_tokens_are_401(client: TestClient, services: Services, clock) -> None:  # noqa: ANN001
    _, headers = client_token(client, services, register_enterprise(services))
    bearer = headers["Authorization"]
    tampered = bearer[:-2] + ("AA" if not bearer.endswith("AA") else "BB")
    assert_problem(client.post("/api/v1/risks", json=risk_body(), headers={"Authorization": tampered}), 401)
    clock.advance(minutes=61)
    assert_problem(client.post("/api/v1/risks", json=risk_body(), headers=headers), 401)


def test_a_client_token_cannot_use_the_portal_and_a_user_session_cannot_call_interfaces(
    client: TestClient, services: Services
) -> None:
    credit_code = register_enterprise(services)
    _, system = client_token(client, services, credit_code)
    portal = portal_login(client, services, credit_code)
    assert_problem(client.post("/api/v1/subscriptions", json=APPLY, headers=system), 403)
    assert_problem(client.post("/api/v1/risks", json=risk_body(), headers=portal), 403)


def test_token_endpoint_speaks_oauth2_errors(client: TestClient, services: Services) -> None:
    assert client.post("/api/v1/oauth/token", data={"grant_type": "password"}).json()["error"] == "unsupported_grant_type"
    missing = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    unknown = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"})
    assert unknown.status_code == 401 and unknown.headers["www-authenticate"].startswith("Basic")


def test_calls_beyond_the_subscriptions_rate_limit_get_429_with_retry_after(tmp_path, clock) -> None:  # noqa: ANN001
    from api.app import create_app
    from api.bootstrap import bootstrap
    from api.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'rate.db'}", jwt_secret="rate-limit-test-secret",
                        rate_limit_per_second=0.5, rate_limit_burst=2, subscription_check_seconds=0)
    services = bootstrap(settings, clock=clock)
    with TestClient(create_app(services)) as client:
        _, headers = client_token(client, services, register_enterprise(services))
        answers = [client.post("/api/v1/inspections", json={"inspection_code": f"I-{i}", "performed_at": "2026-11-12T15:00:00+08:00",
                                                             "scope": "日常排查", "hazards_found": 0, "inspector": "赵敏"},
                               headers=headers) for i in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[2].headers["retry-after"]) >= 1
    assert answers[2].headers["content-type"].startswith("application/problem+json")


def test_the_catalog_matches_the_api_and_admins_manage_it(client: TestClient, services: Services) -> None:
    admin = login(client, add_user(services, "admin"))
    portal = portal_login(client, services, register_enterprise(services))
    catalog = {i["code"]: i for i in client.get("/api/v1/interfaces", headers=portal).json()}
    assert catalog["hazard.maintain"]["operations"] == [
        {"method": "POST", "path": "/api/v1/hazards/{hazard_id}/acceptance"},
        {"method": "POST", "path": "/api/v1/hazards/{hazard_id}/rectification"},
    ]
    assert catalog["risk.add"]["request_schema"] == "/openapi.json#/components/schemas/RiskIdentification"
    assert catalog["risk.add"]["name_zh"] == "风险点新增"

    extra = {"code": "report.monthly", "name_zh": "月报上报", "name_en": "Monthly report", "version": "1.0",
             "operations": [{"method": "POST", "path": "/api/v1/reports/monthly"}]}
    assert client.post("/api/v1/interfaces", json=extra, headers=admin).status_code == 201
    assert client.post("/api/v1/interfaces", json=extra, headers=admin).status_code == 200  # identical repeat
    assert_problem(client.post("/api/v1/interfaces", json=extra, headers=portal), 403)
    revised = client.put("/api/v1/interfaces/report.monthly", json=extra | {"version": "1.1"}, headers=admin)
    assert revised.status_code == 200, revised.text
    assert client.post("/api/v1/interfaces/report.monthly/withdrawal", json={"reason": "停用"}, headers=admin).status_code == 200
    listed = {i["code"] for i in client.get("/api/v1/interfaces", headers=portal).json()}
    assert "report.monthly" not in listed and "risk.add" in listed
    application = {"interfaces": ["report.monthly"], "purpose": "x", "contact": {"name": "张伟", "mobile": "13800138000"}}
    assert_problem(client.post("/api/v1/subscriptions", json=application, headers=portal), 409)
    unknown = application | {"interfaces": ["no.such"]}
    assert_problem(client.post("/api/v1/subscriptions", json=unknown, headers=portal), 422)
