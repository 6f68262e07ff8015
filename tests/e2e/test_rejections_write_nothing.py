"""Every rejected request leaves the ledger untouched: the log head does not move, and every rejection
is an RFC 9457 problem+json document."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from api.bootstrap import Services
from tests.e2e.helpers import PROBLEM, enterprise_login
from tests.conftest import add_user, login
from tests.support.builders import a_credit_code, enterprise_body, hazard_body, risk_body



def enterprise_user(client: TestClient, services: Services) -> tuple[dict[str, str], str]:
    credit_code, _, headers = enterprise_login(client, services)
    return headers, credit_code


@dataclass(frozen=True)
class World:
    client: TestClient
    ent: dict[str, str]
    other: dict[str, str]
    admin: dict[str, str]
    risk_id: str
    risk_code: str
    hazard_id: str
    credit_code: str

    def post(self, path: str, json: Any, headers: dict[str, str] | None = None) -> Response:
        return self.client.post(path, json=json, headers=headers or {})


def level(to: str) -> dict[str, str]:
    return {"level": to, "reason": "复评", "changed_at": "2026-11-20T10:00:00+08:00"}


# (kind, expected status, the request) — each one must be refused without writing anything.
REJECTIONS: list[tuple[str, int, Callable[[World], Response]]] = [
    ("422 body: missing fields", 422, lambda w: w.post("/api/v1/risks", {"risk_code": "R-x"}, w.ent)),
    ("422 body: unknown field", 422, lambda w: w.post("/api/v1/risks", risk_body(extra="x"), w.ent)),
    ("422 body: malformed JSON", 422, lambda w: w.client.post(
        "/api/v1/risks", content=b"{", headers=w.ent | {"Content-Type": "application/json"})),
    ("422 domain: current above inherent", 422, lambda w: w.post(
        "/api/v1/risks", risk_body(current_level="major", inherent_level="significant"), w.ent)),
    ("422 domain: LEC score contradicts level", 422, lambda w: w.post(
        "/api/v1/risks", risk_body(assessment={"method": "lec", "score": 999}), w.ent)),
    ("422 domain: change before identification", 422, lambda w: w.post(
        f"/api/v1/risks/{w.risk_id}/level-changes", level("major") | {"changed_at": "2026-01-01T00:00:00+08:00"}, w.ent)),
    ("422 domain: major hazard without plan", 422, lambda w: w.post("/api/v1/hazards", hazard_body(level="major"), w.ent)),
    ("422 domain: hazard linked to a foreign risk", 422, lambda w: w.post(
        "/api/v1/hazards", hazard_body(risk_id=w.risk_id), w.other)),
    ("422 domain: invalid credit code", 422, lambda w: w.post(
        "/api/v1/enterprises", enterprise_body("91410185MA44000081"), w.admin)),
    ("422 header: malformed If-Match", 422, lambda w: w.post(
        f"/api/v1/risks/{w.risk_id}/level-changes", level("major"), w.ent | {"If-Match": "latest"})),
    ("409 refused: same level", 409, lambda w: w.post(f"/api/v1/risks/{w.risk_id}/level-changes", level("general"), w.ent)),
    ("409 refused: acceptance before rectification", 409, lambda w: w.post(
        f"/api/v1/hazards/{w.hazard_id}/acceptance",
        {"passed": True, "accepted_by": "陈刚", "accepted_at": "2026-11-16T10:00:00+08:00", "opinion": "ok"}, w.ent)),
    ("409 conflict: create with different content", 409, lambda w: w.post(
        "/api/v1/risks", risk_body(w.risk_code, name="别的名称"), w.ent)),
    ("412 stale If-Match", 412, lambda w: w.post(
        f"/api/v1/risks/{w.risk_id}/level-changes", level("major"), w.ent | {"If-Match": "0"})),
    ("412 stale If-Match on an enterprise", 412, lambda w: w.client.patch(
        f"/api/v1/enterprises/{w.credit_code}", json={"name": "新名称"}, headers=w.admin | {"If-Match": "9"})),
    ("404 unknown risk", 404, lambda w: w.post(f"/api/v1/risks/{uuid.uuid4()}/level-changes", level("major"), w.ent)),
    ("404 another enterprise's risk", 404, lambda w: w.post(
        f"/api/v1/risks/{w.risk_id}/invalidation", {"reason": "x"}, w.other)),
    ("404 unknown enterprise", 404, lambda w: w.client.patch(
        f"/api/v1/enterprises/{a_credit_code()}", json={"name": "新名称"}, headers=w.admin)),
    ("403 admin at the enterprise door", 403, lambda w: w.post("/api/v1/risks", risk_body(), w.admin)),
    ("403 enterprise at the admin door", 403, lambda w: w.post("/api/v1/enterprises", enterprise_body(), w.ent)),
    ("401 no token", 401, lambda w: w.post("/api/v1/risks", risk_body())),
    ("401 tampered token", 401, lambda w: w.post(
        "/api/v1/risks", risk_body(), {"Authorization": w.ent["Authorization"][:-12] + "AAAAAAAAAAAA"})),
    ("404 unknown route", 404, lambda w: w.post("/api/v1/nothing-here", {}, w.ent)),
    ("405 wrong method", 405, lambda w: w.client.delete(f"/api/v1/risks/{w.risk_id}", headers=w.ent)),
]


def test_rejected_requests_write_nothing(client: TestClient, services: Services) -> None:
    ent, credit_code = enterprise_user(client, services)
    other, _ = enterprise_user(client, services)
    admin = login(client, add_user(services, "admin"))
    risk = client.post("/api/v1/risks", json=risk_body(), headers=ent)
    hazard = client.post("/api/v1/hazards", json=hazard_body(), headers=ent)
    assert (risk.status_code, hazard.status_code) == (201, 201), (risk.text, hazard.text)
    risk_id = risk.json()["risk_id"]
    world = World(client, ent, other, admin, risk_id, client.get(f"/api/v1/risks/{risk_id}", headers=ent).json()["risk_code"],
                  hazard.json()["hazard_id"], credit_code)
    risk_before = client.get(f"/api/v1/risks/{risk_id}", headers=ent).json()

    failures = []
    for kind, status, send in REJECTIONS:
        head = services.events.head()
        response = send(world)
        after = services.events.head()
        problems = []
        if response.status_code != status:
            problems.append(f"status {response.status_code} != {status}: {response.text}")
        if not response.headers.get("content-type", "").startswith(PROBLEM):
            problems.append(f"content-type {response.headers.get('content-type')!r}")
        else:
            body = response.json()
            if body.get("status") != response.status_code or not all(body.get(k) for k in ("type", "title", "detail")):
                problems.append(f"not a complete problem document: {body}")
            if response.status_code == 422 and not body.get("errors"):
                problems.append(f"422 without field errors: {body}")
        if after != head:
            problems.append(f"log head moved {head} -> {after}")
        if problems:
            failures.append(f"{kind}: {'; '.join(problems)}")
    assert not failures, "\n".join(failures)

    assert client.get(f"/api/v1/risks/{risk_id}", headers=ent).json() == risk_before
