"""The seal's REST door: an enterprise's events with inclusion proofs, checked with the public key
alone by the standalone checker, and a tampered event in a proof fails."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import text

from adapters.audit.seal_format import verify_proof
from adapters.audit.sealer import Sealer
from api.bootstrap import Services
from tests.conftest import add_user, login
from tests.e2e.helpers import assert_problem, enterprise_login
from tests.support.builders import hazard_body, inspection_body, risk_body


def _seal_now(services: Services) -> None:
    """Cut a checkpoint at the head now (the background follower waits for 1,000 events or an hour)."""
    seal = services.seal
    assert seal is not None
    Sealer(seal.store, seal.key(), services.clock, sign_seconds=0).seal()


def test_an_enterprise_proof_checks_with_the_public_key_and_holds_no_other_enterprise(
        own_ledger: tuple[TestClient, Services]) -> None:
    client, services = own_ledger
    code, _, ent = enterprise_login(client, services)
    other_code, _, other = enterprise_login(client, services)
    for path, body in (("/api/v1/risks", risk_body()), ("/api/v1/hazards", hazard_body()),
                       ("/api/v1/inspections", inspection_body())):
        assert client.post(path, json=body, headers=ent).status_code in (200, 201)
        assert client.post(path, json=body, headers=other).status_code in (200, 201)
    _seal_now(services)
    auditor = login(client, add_user(services, "auditor"))

    response = client.get(f"/api/v1/audit/enterprises/{code}/proof", headers=auditor)
    assert response.status_code == 200, response.text
    proof = response.json()
    published = client.get("/api/v1/audit/seal/public-key", headers=auditor).json()
    pem = published["public_key_pem"].encode()
    assert published["key_id"] == proof["checkpoints"][0]["key_id"]
    assert verify_proof(proof, pem) == []
    topics = {e["topic"].rsplit(":", 1)[-1] for e in proof["events"]}
    assert {"Enterprise.Registered", "Risk.Identified", "Hazard.Registered", "Inspection.Recorded"} <= topics, topics
    assert other_code not in json.dumps(proof)  # nothing of the other enterprise, not even its code
    assert all(e["checkpoint"] <= proof["sealed_to"] for e in proof["events"])

    digest = client.get("/api/v1/audit/seal/digest", headers=auditor).json()
    assert digest["position"] == proof["sealed_to"] and digest["key_id"] == proof["checkpoints"][0]["key_id"]

    risk = next(e for e in proof["events"] if e["topic"].endswith("Risk.Identified"))
    with services.engine.begin() as conn:
        state = bytes(conn.execute(text("SELECT state FROM ledger_events WHERE id = :p"), {"p": risk["position"]}).scalar_one())
        conn.execute(text("UPDATE ledger_events SET state = :s WHERE id = :p"),
                     {"s": state.replace(b'"name":"', b'"name":"X', 1), "p": risk["position"]})
    tampered = client.get(f"/api/v1/audit/enterprises/{code}/proof", headers=auditor).json()
    problems = verify_proof(tampered, pem)
    assert problems == [f"event {risk['position']}: not included in checkpoint {risk['checkpoint']}'s Merkle tree "
                        "(changed, or not the event sealed there)"]

    # a proof edited after it was served fails too: the shown fields must be the sealed bytes
    edited = dict(proof, events=[dict(proof["events"][0], version=proof["events"][0]["version"] + 1)] + proof["events"][1:])
    assert verify_proof(edited, pem)[0].endswith("the fields shown differ from its leaf data")


def test_the_proof_door_is_for_auditors_and_admins(own_ledger: tuple[TestClient, Services]) -> None:
    client, services = own_ledger
    code, _, ent = enterprise_login(client, services)
    _seal_now(services)
    assert_problem(client.get(f"/api/v1/audit/enterprises/{code}/proof", headers=ent), 403)
    admin = login(client, add_user(services, "admin"))
    assert client.get(f"/api/v1/audit/enterprises/{code}/proof", headers=admin).status_code == 200
    assert_problem(client.get("/api/v1/audit/enterprises/91410100MA00000000/proof", headers=admin), 404)
    assert_problem(client.get("/api/v1/audit/enterprises/not-a-code/proof", headers=admin), 422)
    early = client.get(f"/api/v1/audit/enterprises/{code}/proof?at=1", headers=admin)
    assert early.status_code == 200 and early.json()["events"] == []
